"""The machine-readable catalog: every capability ID, the code that implements it, the
tests that verify it.

IDs and titles come from the project's CATALOG.md. An entry with ``symbols`` and
``tests`` is *verified*: a test (tests/test_catalog.py) checks that every symbol imports
and every test node exists. ``jaxml catalog`` prints the coverage.
"""

from __future__ import annotations

import dataclasses
import importlib


@dataclasses.dataclass(frozen=True)
class Entry:
    """One catalog row.

    Attributes:
      id: catalog ID, e.g. ``"T.m1d.1"``.
      title: short description.
      symbols: ``"module:attr"`` strings of the implementing code.
      tests: pytest node ids that verify it.
    """

    id: str
    title: str
    symbols: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        return "verified" if self.symbols and self.tests else "missing"


def resolve(symbol: str):
    """Import ``"package.module:attr.sub"`` and return the object."""
    module_name, _, attr_path = symbol.partition(":")
    obj = importlib.import_module(module_name)
    for attr in filter(None, attr_path.split(".")):
        obj = getattr(obj, attr)
    return obj


# Every ID of CATALOG.md, in its order; implemented entries carry symbols and tests.
_TITLES = {
    # M — mathematical foundations
    "M.la.1": "vector spaces, projections, Gram–Schmidt/QR, orthogonality",
    "M.la.2": "rank, trace, determinant, condition number",
    "M.la.3": "eigendecomposition, spectral theorem, power iteration",
    "M.la.4": "SVD, low-rank approximation (Eckart–Young)",
    "M.la.5": "PCA from variance maximisation and from SVD",
    "M.la.6": "tensor algebra (einsum, Kronecker, Khatri–Rao)",
    "M.la.7": "Jacobian, Hessian, Taylor approximation",
    "M.pr.1": "probability distributions: sampling, log-pdf, moments",
    "M.pr.2": "joint/marginal/conditional, Bayes' rule, CLT and LLN demos",
    "M.pr.3": "MLE, bias, consistency, Fisher information",
    "M.pr.4": "MAP and conjugate priors",
    "M.st.1": "hypothesis tests: z, t, chi-square; p-values, CIs, power",
    "M.st.2": "kernel density estimation and bandwidth selection",
    "M.st.3": "AIC/BIC, VIF",
    "M.op.1": "gradient descent, momentum, Nesterov",
    "M.op.2": "AdaGrad, RMSProp, Adam, AdamW, Nadam as optax transformations",
    "M.op.3": "Newton, BFGS, L-BFGS with line search",
    "M.op.4": "constrained optimisation: KKT, projected gradient, augmented Lagrangian",
    "M.op.5": "duality: LP, QP, SVM dual; duality gap",
    "M.op.6": "convexity checks, Lipschitz constants, Jensen's inequality",
    "M.ad.1": "automatic differentiation from scratch (forward and reverse mode)",
    "M.in.1": "entropy, cross-entropy, KL, mutual information",
    "M.in.2": "channel capacity (Blahut–Arimoto)",
    "M.al.1": "graph algorithms: BFS/DFS, shortest paths, cycles, toposort, MST",
    "M.al.2": "dynamic programming and greedy algorithms",
    # C — classical
    "C.lin.1": "ordinary least squares",
    "C.lin.2": "Ridge, Lasso, Elastic Net, regularisation paths",
    "C.lin.3": "logistic regression",
    "C.lin.4": "GLMs: Poisson and softmax regression",
    "C.lin.5": "Bayesian linear regression with predictive distribution",
    "C.nb.1": "naive Bayes: Bernoulli, multinomial, Gaussian",
    "C.nn.1": "k-nearest neighbours, KD-tree, ball tree",
    "C.nn.2": "approximate nearest neighbours with recall",
    "C.ker.1": "kernels and Mercer check",
    "C.svm.1": "SVM: primal, dual (SMO), kernel SVM, SVR",
    "C.ker.2": "kernel ridge regression",
    "C.gp.1": "Gaussian process regression/classification",
    "C.tree.1": "decision trees (ID3/C4.5/CART) and pruning",
    "C.ens.1": "bagging and random forests",
    "C.gb.1": "gradient boosting",
    "C.gb.2": "XGBoost-style boosting",
    "C.gb.3": "LightGBM-style boosting",
    "C.gb.4": "CatBoost-style boosting",
    "C.ens.2": "stacking, blending, snapshot ensembles",
    "C.sel.1": "cross-validation and vmapped grid search",
    "C.sel.2": "bias–variance decomposition, learning/validation curves",
    "C.met.1": "classification metrics",
    "C.met.2": "regression metrics",
    "C.met.3": "ranking metrics",
    "C.met.4": "calibration",
    "C.pre.1": "scaling, transforms, encodings",
    "C.pre.2": "feature selection, multicollinearity",
    "C.pre.3": "imbalanced data",
    "C.pre.4": "data augmentation and synthesis",
    # U — unsupervised
    "U.cl.1": "k-means, k-means++, mini-batch k-means",
    "U.cl.2": "Gaussian mixtures via EM",
    "U.cl.3": "DBSCAN, OPTICS",
    "U.cl.4": "hierarchical clustering",
    "U.cl.5": "spectral clustering",
    "U.cl.6": "self-organising maps",
    "U.dr.1": "PCA, FA, ICA, NMF, truncated SVD",
    "U.dr.2": "t-SNE",
    "U.dr.3": "UMAP",
    "U.dr.4": "autoencoders",
    "U.ssl.1": "contrastive learning",
    "U.ssl.2": "masked modelling",
    "U.ssl.3": "pretext tasks",
    "U.an.1": "anomaly detection",
    # D — deep learning
    "D.core.1": "backpropagation by hand",
    "D.core.2": "initialisation schemes",
    "D.core.3": "activations and losses",
    "D.core.4": "normalisation, dropout, weight decay, early stopping",
    "D.core.5": "optimisers, schedules, clipping, accumulation",
    "D.core.6": "gradient checkpointing",
    "D.cnn.1": "convolution maths",
    "D.cnn.2": "classic CNN architectures",
    "D.cnn.3": "SE, CBAM, ViT",
    "D.cnn.4": "U-Net, YOLO-style detection",
    "D.seq.1": "RNN, LSTM, GRU",
    "D.seq.2": "Transformer",
    "D.seq.3": "pretraining, KV cache, speculative decoding",
    "D.seq.4": "retrieval-augmented generation",
    "D.gen.1": "VAE",
    "D.gen.2": "GANs",
    "D.gen.3": "GAN evaluation (FID/IS analogues)",
    "D.gen.4": "diffusion models",
    "D.gnn.1": "graph neural networks",
    "D.eff.1": "mixed precision",
    "D.eff.2": "data parallelism and sharding",
    "D.eff.3": "LoRA, distillation, MoE, pruning",
    "D.eb.1": "energy-based models",
    "D.int.1": "saliency, integrated gradients",
    # B — Bayesian
    "B.1": "Bayesian linear regression in NumPyro",
    "B.2": "Bayesian neural networks (NUTS, SVI)",
    "B.3": "MC dropout, deep ensembles, uncertainty",
    "B.4": "EM, KL, ELBO, variational inference",
    "B.5": "hidden Markov models",
    "B.6": "Bayesian networks",
    "B.7": "Markov random fields, belief propagation",
    "B.8": "Gibbs sampling, Metropolis–Hastings",
    "B.9": "latent Dirichlet allocation",
    "B.10": "Gaussian processes in NumPyro",
    # R — reinforcement learning
    "R.mdp.1": "MDPs, value iteration, policy iteration",
    "R.tab.1": "Monte Carlo, TD(0), TD(λ), SARSA, Q-learning",
    "R.ban.1": "bandits",
    "R.dqn.1": "DQN family and Rainbow components",
    "R.pg.1": "REINFORCE, A2C, PPO, TRPO",
    "R.ac.1": "SAC, TD3",
    "R.mb.1": "model-based RL",
    "R.mcts.1": "MCTS and AlphaZero-style self-play",
    "R.adv.1": "meta-, multi-agent, hierarchical RL",
    "R.hf.1": "RLHF",
    # P — deployment and trustworthy ML
    "P.exp.1": "export (StableHLO, ONNX)",
    "P.srv.1": "serving",
    "P.ops.1": "experiment tracking and model registry",
    "P.ops.2": "pipelines and versioning",
    "P.mon.1": "drift detection, A/B testing, canary",
    "P.adv.1": "adversarial attacks and defences",
    "P.priv.1": "DP-SGD and federated learning",
    "P.xai.1": "SHAP, LIME, counterfactuals",
    "P.fair.1": "fairness",
    "P.sys.1": "end-to-end system",
    # T — theory and reproductions
    "T.dd.1": "double descent",
    "T.ntk.1": "neural tangent kernel",
    "T.lth.1": "lottery tickets",
    "T.pac.1": "PAC-Bayes bounds",
    "T.mf.1": "mean-field two-layer networks",
    "T.m1d.1": "MNIST-1D baselines (logistic, MLP, CNN, GRU)",
}

# Implemented capabilities: id -> (symbols, tests).
_IMPLEMENTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "C.gb.1": (
        ("jaxml.classical.boosting:gradient_boosting_regressor",
         "jaxml.classical.boosting:gradient_boosting_classifier",
         "jaxml.classical.boosting:staged_decision", "jaxml.classical.trees:NewtonRule"),
        ("tests/classical/test_boosting.py::test_first_order_squared_error_equals_sklearn_gradient_boosting",
         "tests/classical/test_boosting.py::test_one_split_gain_and_leaf_weights_equal_the_closed_forms",
         "tests/classical/test_boosting.py::test_staged_training_loss_decreases_for_convex_losses[poisson]",
         "tests/classical/test_boosting.py::test_second_order_trees_equal_xgboost_exact[binary]"),
    ),
    "C.gb.2": (
        ("jaxml.classical.hist_boosting:hist_gradient_boosting_regressor",
         "jaxml.classical.hist_boosting:hist_gradient_boosting_classifier",
         "jaxml.classical.histograms:fit_bins", "jaxml.classical.trees:NewtonRule",
         "jaxml.classical.boosting:gradient_boosting_regressor"),
        ("tests/classical/test_boosting.py::test_one_split_gain_and_leaf_weights_equal_the_closed_forms",
         "tests/classical/test_boosting.py::test_second_order_trees_equal_xgboost_exact[binary]",
         "tests/classical/test_hist_boosting.py::test_leafwise_equals_lightgbm_and_depthwise_equals_xgboost_hist[0.2]",
         "tests/classical/test_hist_boosting.py::test_weighted_quantile_bins_equal_bins_of_the_rows_repeated_by_their_weights",
         "tests/classical/test_hist_boosting.py::test_missing_values_unseen_in_training_go_to_the_larger_child"),
    ),
    "C.gb.3": (
        ("jaxml.classical.hist_boosting:hist_gradient_boosting_classifier",
         "jaxml.classical.histograms:grow_hist_tree", "jaxml.classical.histograms:node_histograms",
         "jaxml.classical.histograms:bin_codes", "jaxml.classical.boosting:goss_weights"),
        ("tests/classical/test_hist_boosting.py::test_leafwise_equals_lightgbm_and_depthwise_equals_xgboost_hist[0.0]",
         "tests/classical/test_hist_boosting.py::test_node_histograms_equal_brute_force_sums",
         "tests/classical/test_hist_boosting.py::test_a_categorical_split_is_the_best_of_all_binary_partitions",
         "tests/classical/test_hist_boosting.py::test_goss_keeps_the_top_gradients_and_reweights_the_sampled_rest"),
    ),
    "C.gb.4": (
        ("jaxml.classical.catboost_style:catboost_classifier",
         "jaxml.classical.catboost_style:catboost_regressor",
         "jaxml.classical.catboost_style:ordered_target_statistics",
         "jaxml.classical.catboost_style:grow_oblivious_tree"),
        ("tests/classical/test_catboost_style.py::test_ordered_ts_equals_a_brute_force_loop",
         "tests/classical/test_catboost_style.py::test_greedy_ts_leaks_the_target_and_ordered_ts_does_not",
         "tests/classical/test_catboost_style.py::test_oblivious_tree_equals_brute_force_enumeration",
         "tests/classical/test_catboost_style.py::test_ordered_boosting_equals_a_brute_force_reimplementation",
         "tests/classical/test_catboost_style.py::test_plain_boosting_matches_catboost"),
    ),
    "C.ens.1": (
        ("jaxml.classical.forests:random_forest_classifier",
         "jaxml.classical.forests:random_forest_regressor",
         "jaxml.classical.forests:extra_trees_classifier",
         "jaxml.classical.forests:extra_trees_regressor", "jaxml.classical.forests:bagging",
         "jaxml.classical.forests:oob_score", "jaxml.classical.trees:grow_tree"),
        ("tests/classical/test_forests.py::test_classifier_accuracy_matches_sklearn[random_forest]",
         "tests/classical/test_forests.py::test_regressor_r2_matches_sklearn[random_forest]",
         "tests/classical/test_forests.py::test_oob_scores_match_sklearn",
         "tests/classical/test_forests.py::test_oob_prediction_is_the_mean_of_the_trees_that_left_the_sample_out",
         "tests/classical/test_forests.py::test_bagging_any_estimator_matches_sklearn_bagging_of_trees_and_a_by_hand_member",
         "tests/classical/test_forests.py::test_max_leaf_nodes_grows_each_tree_best_first_as_sklearn",
         "tests/classical/test_trees.py::test_classification_tree_equals_sklearn_node_by_node[3-gini]"),
    ),
    "C.tree.1": (
        ("jaxml.classical.trees:decision_tree_classifier",
         "jaxml.classical.trees:decision_tree_regressor",
         "jaxml.classical.trees:cost_complexity_pruning_path", "jaxml.classical.trees:prune",
         "jaxml.classical.trees:best_first",
         "jaxml.classical.trees:feature_importances", "jaxml.classical.id3:id3_classifier",
         "jaxml.classical.inspection:permutation_importance"),
        ("tests/classical/test_trees.py::test_classification_tree_equals_sklearn_node_by_node[3-entropy]",
         "tests/classical/test_trees.py::test_regression_tree_equals_sklearn_node_by_node[3]",
         "tests/classical/test_trees.py::test_pre_pruning_and_sample_weights_match_sklearn[classifier]",
         "tests/classical/test_trees.py::test_cost_complexity_pruning_path_and_pruned_tree_equal_sklearn[classifier]",
         "tests/classical/test_trees.py::test_ccp_alpha_chosen_by_cross_validation_equals_gridsearchcv",
         "tests/classical/test_trees.py::test_max_leaf_nodes_is_sklearns_best_first_tree",
         "tests/classical/test_trees.py::test_absolute_error_tree_equals_sklearn_node_by_node",
         "tests/classical/test_id3.py::test_play_tennis_grows_quinlans_tree",
         "tests/classical/test_id3.py::test_equals_textbook_recursive_id3_on_random_categorical_data[0-gain_ratio]",
         "tests/classical/test_inspection.py::test_matches_brute_force_over_the_documented_permutations"),
    ),
    "C.ens.2": (
        ("jaxml.classical.stacking:stacking", "jaxml.classical.stacking:blending",
         "jaxml.train.snapshot:snapshot_ensemble", "jaxml.train.snapshot:cyclic_cosine_schedule",
         "jaxml.classical.forests:bagging"),
        ("tests/classical/test_stacking.py::test_stacking_regressor_equals_sklearn[False]",
         "tests/classical/test_stacking.py::test_stacking_classifier_equals_sklearn[3]",
         "tests/classical/test_stacking.py::test_blending_fits_base_on_the_head_and_the_learner_on_the_holdout",
         "tests/classical/test_stacking.py::test_bagged_boosting_is_the_mean_of_boosted_members_on_their_bootstraps",
         "tests/train/test_snapshot.py::test_schedule_equals_optax_sgdr_with_restarts",
         "tests/train/test_snapshot.py::test_each_snapshot_is_the_plain_run_at_the_end_of_its_cycle"),
    ),
    "U.cl.1": (
        ("jaxml.unsupervised.kmeans:kmeans", "jaxml.unsupervised.kmeans:kmeans_plusplus",
         "jaxml.unsupervised.kmeans:minibatch_kmeans", "jaxml.unsupervised.kmeans:lloyd"),
        ("tests/unsupervised/test_kmeans.py::test_lloyd_matches_sklearn_with_same_init[False]",
         "tests/unsupervised/test_kmeans.py::test_inertia_never_increases",
         "tests/unsupervised/test_kmeans.py::test_kmeans_plusplus_seeding_distribution[None]",
         "tests/unsupervised/test_kmeans.py::test_vmapped_restarts_equal_python_loop",
         "tests/unsupervised/test_kmeans.py::test_minibatch_close_to_sklearn"),
    ),
    "U.cl.2": (
        ("jaxml.unsupervised.mixture:gaussian_mixture", "jaxml.unsupervised.mixture:n_parameters"),
        ("tests/unsupervised/test_mixture.py::test_em_matches_sklearn_from_same_init[full]",
         "tests/unsupervised/test_mixture.py::test_em_matches_sklearn_from_same_init[spherical]",
         "tests/unsupervised/test_mixture.py::test_log_likelihood_never_decreases",
         "tests/unsupervised/test_mixture.py::test_bic_selects_true_number_of_components"),
    ),
    "U.cl.3": (
        ("jaxml.unsupervised.density_clustering:dbscan", "jaxml.unsupervised.density_clustering:optics",
         "jaxml.unsupervised.density_clustering:cluster_optics_dbscan",
         "jaxml.unsupervised.density_clustering:cluster_optics_xi",
         "jaxml.unsupervised.density_clustering:reachability_plot"),
        ("tests/unsupervised/test_density_clustering.py::test_dbscan_border_point_joins_the_lowest_numbered_cluster_like_sklearn",
         "tests/unsupervised/test_density_clustering.py::test_cluster_optics_dbscan_equals_sklearn_function_at_several_radii",
         "tests/unsupervised/test_density_clustering.py::test_reachability_plot_draws_one_bar_per_point_on_agg_figure",
         "tests/unsupervised/test_density_clustering.py::test_cluster_optics_xi_equals_sklearn_function_on_its_graph",
         "tests/unsupervised/test_density_clustering.py::test_optics_xi_fit_equals_sklearn_end_to_end"),
    ),
    "U.cl.4": (
        ("jaxml.unsupervised.hierarchical:linkage", "jaxml.unsupervised.hierarchical:agglomerative",
         "jaxml.unsupervised.hierarchical:cut_tree", "jaxml.unsupervised.bisecting:bisecting_kmeans"),
        ("tests/unsupervised/test_hierarchical.py::test_scipy_accepts_our_linkage_for_dendrogram_and_fcluster[ward]",
         "tests/unsupervised/test_bisecting_kmeans.py::test_matches_sklearn_on_separated_blobs[biggest_inertia]",
         "tests/unsupervised/test_bisecting_kmeans.py::test_each_split_is_the_exact_best_two_means",
         "tests/unsupervised/test_hierarchical.py::test_agglomerative_partition_equals_sklearn[single]",
         "tests/unsupervised/test_hierarchical.py::test_ward_height_is_the_centroid_distance_formula"),
    ),
    "U.cl.5": (
        ("jaxml.unsupervised.spectral:affinity_matrix", "jaxml.unsupervised.spectral:graph_laplacian",
         "jaxml.unsupervised.spectral:spectral_embedding",
         "jaxml.unsupervised.spectral:laplacian_eigenmaps",
         "jaxml.unsupervised.spectral:spectral_clustering"),
        ("tests/unsupervised/test_spectral.py::test_affinities_match_sklearn",
         "tests/unsupervised/test_spectral.py::test_laplacians_match_scipy_and_definitions",
         "tests/unsupervised/test_spectral.py::test_laplacian_properties_and_components",
         "tests/unsupervised/test_spectral.py::test_spectral_embedding_matches_sklearn[True]",
         "tests/unsupervised/test_spectral.py::test_laplacian_eigenmaps_matches_SpectralEmbedding[nearest_neighbors]",
         "tests/unsupervised/test_spectral.py::test_spectral_clustering_recovers_moons_and_blobs"),
    ),
    "U.cl.6": (
        ("jaxml.unsupervised.som:som", "jaxml.unsupervised.som:online_step",
         "jaxml.unsupervised.som:batch_step", "jaxml.unsupervised.som:quantization_error",
         "jaxml.unsupervised.som:topographic_error"),
        ("tests/unsupervised/test_som.py::test_batch_step_matches_numpy_and_lloyd",
         "tests/unsupervised/test_som.py::test_online_steps_match_kohonen_loop",
         "tests/unsupervised/test_som.py::test_fit_matches_numpy_loop_and_orders_a_chain[batch-exponential]",
         "tests/unsupervised/test_som.py::test_quality_measures_match_brute_force[True]"),
    ),
    "U.dr.1": (
        ("jaxml.unsupervised.decomposition:pca", "jaxml.unsupervised.decomposition:randomized_pca",
         "jaxml.unsupervised.decomposition:incremental_pca",
         "jaxml.unsupervised.decomposition:truncated_svd",
         "jaxml.unsupervised.decomposition:factor_analysis", "jaxml.unsupervised.ica_nmf:fast_ica",
         "jaxml.unsupervised.ica_nmf:nmf"),
        ("tests/unsupervised/test_decomposition.py::test_pca_matches_sklearn_including_sign",
         "tests/unsupervised/test_decomposition.py::test_incremental_pca_matches_sklearn",
         "tests/unsupervised/test_decomposition.py::test_truncated_svd_matches_sklearn",
         "tests/unsupervised/test_decomposition.py::test_factor_analysis_matches_sklearn_loglike_score_and_transform",
         "tests/unsupervised/test_ica_nmf.py::test_fast_ica_matches_sklearn_sources_with_same_w_init",
         "tests/unsupervised/test_ica_nmf.py::test_nmf_matches_sklearn_from_same_custom_init"),
    ),
    "U.dr.2": (
        ("jaxml.unsupervised.manifold:tsne", "jaxml.unsupervised.manifold:joint_probabilities",
         "jaxml.unsupervised.manifold:binary_search_perplexity",
         "jaxml.unsupervised.manifold:joint_probabilities_nn"),
        ("tests/unsupervised/test_tsne.py::test_joint_probabilities_match_sklearn",
         "tests/unsupervised/test_tsne.py::test_gradient_matches_autodiff",
         "tests/unsupervised/test_tsne.py::test_exact_matches_sklearn_small",
         "tests/unsupervised/test_tsne.py::test_interpolated_objective_matches_brute_force",
         "tests/unsupervised/test_tsne.py::test_interp_fit_close_to_sklearn_exact"),
    ),
    "U.dr.3": (
        ("jaxml.unsupervised.umap:umap", "jaxml.unsupervised.umap:smooth_knn_dist",
         "jaxml.unsupervised.umap:fuzzy_simplicial_set", "jaxml.unsupervised.umap:find_ab_params",
         "jaxml.unsupervised.umap:edge_cross_entropy"),
        ("tests/unsupervised/test_umap.py::test_smooth_knn_dist_matches_umap_learn",
         "tests/unsupervised/test_umap.py::test_fuzzy_graph_matches_umap_learn",
         "tests/unsupervised/test_umap.py::test_ab_params_match_umap_learn",
         "tests/unsupervised/test_umap.py::test_edge_gradients_match_autodiff",
         "tests/unsupervised/test_umap.py::test_trustworthiness_close_to_umap_learn",
         "tests/unsupervised/test_umap.py::test_transform_places_new_points_near_their_class"),
    ),
    "U.an.1": (
        ("jaxml.unsupervised.anomaly:isolation_forest", "jaxml.unsupervised.anomaly:min_cov_det",
         "jaxml.unsupervised.anomaly:elliptic_envelope", "jaxml.unsupervised.anomaly:one_class_svm",
         "jaxml.unsupervised.anomaly:autoencoder_detector"),
        ("tests/unsupervised/test_anomaly.py::test_isolation_tree_path_length_matches_brute_force",
         "tests/unsupervised/test_anomaly.py::test_isolation_forest_auc_matches_sklearn",
         "tests/unsupervised/test_anomaly.py::test_c_steps_fixed_point_matches_sklearn_given_same_support",
         "tests/unsupervised/test_anomaly.py::test_elliptic_envelope_matches_sklearn",
         "tests/unsupervised/test_anomaly.py::test_one_class_svm_matches_sklearn",
         "tests/unsupervised/test_anomaly.py::test_autoencoder_reconstruction_error_detects_off_manifold_points"),
    ),
    "T.m1d.1": (
        ("jaxml.experiments.mnist1d_baselines:run", "jaxml.nn:MLP", "jaxml.nn:CNN1D",
         "jaxml.nn:GRUClassifier", "jaxml.nn:Linear", "jaxml.train:fit_seeds"),
        ("tests/experiments/test_mnist1d_baselines.py::test_cli_quick_run_end_to_end",
         "tests/nn/test_models.py::test_parameter_counts_match_the_paper_architectures"),
    ),
    "M.op.1": (
        ('jaxml.math.optim:gradient_descent', 'jaxml.math.optim:momentum', 'jaxml.math.optim:nesterov', 'jaxml.math.optim:run_optimizer'),
        ('tests/math/test_optim.py::test_matches_optax_100_steps[gd]', 'tests/math/test_optim.py::test_matches_optax_100_steps[momentum]', 'tests/math/test_optim.py::test_matches_optax_100_steps[nesterov]', 'tests/math/test_optim.py::test_hyperparameters_can_be_traced'),
    ),
    "M.op.2": (
        ('jaxml.math.optim:adagrad', 'jaxml.math.optim:rmsprop', 'jaxml.math.optim:adam', 'jaxml.math.optim:adamw', 'jaxml.math.optim:nadam'),
        ('tests/math/test_optim.py::test_matches_optax_100_steps[adagrad]', 'tests/math/test_optim.py::test_matches_optax_100_steps[rmsprop]', 'tests/math/test_optim.py::test_matches_optax_100_steps[adam]', 'tests/math/test_optim.py::test_matches_optax_100_steps[adamw]', 'tests/math/test_optim.py::test_matches_optax_100_steps[nadam]'),
    ),
    "M.op.3": (
        ('jaxml.math.optim_second_order:newton', 'jaxml.math.optim_second_order:bfgs', 'jaxml.math.optim_second_order:lbfgs', 'jaxml.math.optim_second_order:wolfe_line_search', 'jaxml.experiments.optimizers_tour:run'),
        ('tests/math/test_optim_second_order.py::test_quasi_newton_rosenbrock_matches_scipy[100-bfgs]', 'tests/math/test_optim_second_order.py::test_quasi_newton_rosenbrock_matches_scipy[100-lbfgs]', 'tests/math/test_optim_second_order.py::test_newton_rosenbrock_matches_scipy', 'tests/math/test_optim_second_order.py::test_logistic_regression_matches_scipy[bfgs]', 'tests/math/test_optim_second_order.py::test_wolfe_line_search_satisfies_strong_wolfe[0.9]', 'tests/experiments/test_optimizers_tour.py::test_optimizers_tour_tiny_run'),
    ),
    "M.op.4": (
        ('jaxml.math.optim_constrained:projected_gradient', 'jaxml.math.optim_constrained:project_simplex', 'jaxml.math.optim_constrained:kkt_residuals', 'jaxml.math.optim_constrained:equality_qp', 'jaxml.math.optim_constrained:augmented_lagrangian'),
        ('tests/math/test_optim_constrained.py::test_augmented_lagrangian_inequalities_vs_slsqp_and_kkt', 'tests/math/test_optim_constrained.py::test_augmented_lagrangian_equality_and_mixed_vs_slsqp', 'tests/math/test_optim_constrained.py::test_projected_gradient_box_and_simplex_vs_slsqp[True]', 'tests/math/test_optim_constrained.py::test_equality_qp_lagrange_multipliers', 'tests/math/test_optim_constrained.py::test_projections_match_slsqp_and_closed_forms'),
    ),
    "M.op.5": (
        ('jaxml.math.duality:solve_lp', 'jaxml.math.duality:lp_dual', 'jaxml.math.duality:qp_dual', 'jaxml.math.duality:svm_dual'),
        ('tests/math/test_optim_duality.py::test_lp_primal_and_dual_solved_separately_have_zero_gap[0]', 'tests/math/test_optim_duality.py::test_qp_dual_projected_gradient_matches_slsqp', 'tests/math/test_optim_duality.py::test_svm_dual_gap_and_sklearn[1.0]', 'tests/math/test_optim_duality.py::test_svm_dual_gap_and_sklearn[None]'),
    ),
    "M.op.6": (
        ('jaxml.math.optim_analysis:hessian_min_eigenvalue', 'jaxml.math.optim_analysis:midpoint_convexity_violation', 'jaxml.math.optim_analysis:lipschitz_estimate', 'jaxml.math.optim_analysis:spectral_norm', 'jaxml.math.optim_analysis:jensen_gap'),
        ('tests/math/test_optim_analysis.py::test_hessian_check_separates_convex_and_nonconvex', 'tests/math/test_optim_analysis.py::test_lipschitz_and_smoothness_estimates_vs_closed_forms', 'tests/math/test_optim_analysis.py::test_spectral_norm_power_iteration', 'tests/math/test_optim_analysis.py::test_jensen_gap_signs_and_lognormal_closed_form'),
    ),
    "M.ad.1": (
        ('jaxml.math.autodiff:Dual', 'jaxml.math.autodiff:jvp', 'jaxml.math.autodiff:grad', 'jaxml.math.autodiff:hvp'),
        ('tests/math/test_autodiff.py::test_forward_mode_matches_jax_jvp_on_100_random_trees', 'tests/math/test_autodiff.py::test_reverse_mode_matches_jax_grad_on_100_random_trees', 'tests/math/test_autodiff.py::test_hvp_forward_over_reverse_matches_jax_on_100_random_trees'),
    ),
    "M.al.1": (
        ('jaxml.math.algorithms:bfs', 'jaxml.math.algorithms:dfs', 'jaxml.math.algorithms:dijkstra', 'jaxml.math.algorithms:bellman_ford', 'jaxml.math.algorithms:topological_sort', 'jaxml.math.algorithms:has_cycle', 'jaxml.math.algorithms:kruskal', 'jaxml.math.algorithms:prim'),
        ('tests/math/test_algorithms.py::test_bfs_dfs_match_networkx[True]', 'tests/math/test_algorithms.py::test_dijkstra_and_bellman_ford_match_networkx', 'tests/math/test_algorithms.py::test_dijkstra_keeps_the_lightest_of_parallel_edges', 'tests/math/test_algorithms.py::test_bellman_ford_negative_weights_and_cycles', 'tests/math/test_algorithms.py::test_topological_sort_and_cycles_match_networkx', 'tests/math/test_algorithms.py::test_mst_matches_networkx'),
    ),
    "M.al.2": (
        ('jaxml.math.algorithms:edit_distance', 'jaxml.math.algorithms:lcs_length', 'jaxml.math.algorithms:knapsack_01', 'jaxml.math.algorithms:max_product_chain', 'jaxml.math.algorithms:activity_selection', 'jaxml.math.algorithms:fractional_knapsack', 'jaxml.math.algorithms:huffman_code'),
        ('tests/math/test_algorithms.py::test_edit_distance_and_lcs_vs_brute_force', 'tests/math/test_algorithms.py::test_knapsack_vs_brute_force', 'tests/math/test_algorithms.py::test_max_product_chain_vs_brute_force', 'tests/math/test_algorithms.py::test_greedy_algorithms_are_optimal_vs_brute_force', 'tests/math/test_algorithms.py::test_huffman_optimal_and_prefix_free'),
    ),
    "C.lin.1": (
        ('jaxml.classical.linear:ols', 'jaxml.sklearn.linear:LinearRegression'),
        ('tests/classical/test_linear.py::test_ols_matches_sklearn', 'tests/classical/test_linear.py::test_ols_residual_is_orthogonal_to_columns'),
    ),
    "C.lin.2": (
        ('jaxml.classical.linear:ridge', 'jaxml.classical.linear:lasso', 'jaxml.classical.linear:elastic_net', 'jaxml.classical.linear:enet_path', 'jaxml.classical.linear:lasso_path', 'jaxml.sklearn.linear:Ridge', 'jaxml.sklearn.linear:Lasso', 'jaxml.sklearn.linear:ElasticNet'),
        ('tests/classical/test_linear.py::test_ridge_matches_sklearn', 'tests/classical/test_linear.py::test_elastic_net_matches_sklearn', 'tests/classical/test_linear.py::test_lasso_path_matches_sklearn', 'tests/classical/test_linear.py::test_ridge_vmap_over_alpha_compiles_once', 'tests/sklearn/test_sklearn_linear.py::test_lasso_parity_on_unscaled_features'),
    ),
    "C.lin.3": (
        ('jaxml.classical.linear:logistic_regression', 'jaxml.sklearn.linear:LogisticRegression'),
        ('tests/classical/test_linear.py::test_logistic_regression_matches_sklearn', 'tests/classical/test_linear.py::test_logistic_class_weight_matches_sklearn', 'tests/classical/test_linear.py::test_logistic_l1_matches_sklearn_saga', 'tests/sklearn/test_sklearn_linear.py::test_logistic_regression_matches_sklearn_with_string_labels', 'tests/sklearn/test_sklearn_linear.py::test_logistic_parity_on_standardised_breast_cancer'),
    ),
    "C.lin.4": (
        ('jaxml.classical.glm:poisson_regression', 'jaxml.classical.glm:softmax_regression', 'jaxml.sklearn.linear:PoissonRegressor'),
        ('tests/classical/test_glm.py::test_poisson_regression_matches_sklearn', 'tests/classical/test_glm.py::test_softmax_regression_multiclass_matches_sklearn'),
    ),
    "C.lin.5": (
        ('jaxml.classical.linear:bayesian_linear_regression', 'jaxml.classical.linear:bayesian_ridge', 'jaxml.sklearn.linear:BayesianRidge'),
        ('tests/classical/test_linear.py::test_bayesian_linear_regression_closed_form', 'tests/classical/test_linear.py::test_bayesian_ridge_matches_sklearn'),
    ),
    "C.nb.1": (
        ('jaxml.classical.naive_bayes:gaussian_nb', 'jaxml.classical.naive_bayes:multinomial_nb', 'jaxml.classical.naive_bayes:bernoulli_nb', 'jaxml.sklearn.naive_bayes:GaussianNB', 'jaxml.sklearn.naive_bayes:MultinomialNB', 'jaxml.sklearn.naive_bayes:BernoulliNB'),
        ('tests/classical/test_naive_bayes.py::test_naive_bayes_matches_sklearn', 'tests/sklearn/test_sklearn_naive_bayes.py::test_naive_bayes_matches_sklearn'),
    ),
    "C.nn.1": (
        ('jaxml.classical.neighbors:knn_classifier', 'jaxml.classical.neighbors:knn_regressor', 'jaxml.classical.neighbors:kd_tree', 'jaxml.classical.neighbors:ball_tree', 'jaxml.classical.neighbors:tree_query', 'jaxml.sklearn.neighbors:KNeighborsClassifier', 'jaxml.sklearn.neighbors:KNeighborsRegressor'),
        ('tests/classical/test_neighbors.py::test_knn_classifier_matches_sklearn', 'tests/classical/test_neighbors.py::test_trees_match_exact_search', 'tests/sklearn/test_sklearn_neighbors.py::test_knn_matches_sklearn'),
    ),
    "C.nn.2": (
        ('jaxml.classical.neighbors:lsh_index', 'jaxml.classical.neighbors:lsh_query', 'jaxml.classical.neighbors:recall_at_k'),
        ('tests/classical/test_neighbors.py::test_lsh_recall_vs_exact',),
    ),
    "M.la.1": (
        ('jaxml.math.linalg:gram_schmidt', 'jaxml.math.linalg:householder_qr', 'jaxml.math.linalg:column_space_projector', 'jaxml.math.linalg:project_onto_column_space', 'jaxml.math.linalg:project_onto_orthogonal_complement'),
        ('tests/math/test_linalg.py::test_gram_schmidt_matches_numpy_qr', 'tests/math/test_linalg.py::test_modified_gram_schmidt_more_orthogonal_than_classical', 'tests/math/test_linalg.py::test_householder_qr_modes_and_shapes', 'tests/math/test_linalg.py::test_projections_onto_column_space_and_complement'),
    ),
    "M.la.2": (
        ('jaxml.math.linalg:matrix_rank', 'jaxml.math.linalg:trace', 'jaxml.math.linalg:lu', 'jaxml.math.linalg:det', 'jaxml.math.linalg:slogdet', 'jaxml.math.linalg:condition_number'),
        ('tests/math/test_linalg.py::test_rank_trace_det_cond_match_numpy', 'tests/math/test_linalg.py::test_lu_factorisation_and_pivoting'),
    ),
    "M.la.3": (
        ('jaxml.math.linalg:power_iteration', 'jaxml.math.linalg:top_k_eigh', 'jaxml.math.linalg:eigh_jacobi'),
        ('tests/math/test_linalg.py::test_power_iteration_and_deflation_match_eigh', 'tests/math/test_linalg.py::test_eigh_jacobi_matches_numpy_eigh'),
    ),
    "M.la.4": (
        ('jaxml.math.linalg:svd_jacobi', 'jaxml.math.linalg:low_rank_approx', 'jaxml.math.linalg:eckart_young_error'),
        ('tests/math/test_linalg.py::test_svd_jacobi_matches_numpy_svd', 'tests/math/test_linalg.py::test_eckart_young_error_identity_and_optimality'),
    ),
    "M.la.5": (
        ('jaxml.math.linalg:pca_eig', 'jaxml.math.linalg:pca_svd', 'jaxml.math.linalg:pca_transform'),
        ('tests/math/test_linalg.py::test_pca_two_ways_agree_and_match_sklearn',),
    ),
    "M.la.6": (
        ('jaxml.math.linalg:tensordot', 'jaxml.math.linalg:mode_product', 'jaxml.math.linalg:kron', 'jaxml.math.linalg:khatri_rao'),
        ('tests/math/test_linalg.py::test_tensordot_and_mode_product_match_numpy', 'tests/math/test_linalg.py::test_kron_and_khatri_rao_match_numpy_scipy'),
    ),
    "M.la.7": (
        ('jaxml.math.linalg:jacobian', 'jaxml.math.linalg:hessian', 'jaxml.math.linalg:hvp', 'jaxml.math.linalg:taylor_approx'),
        ('tests/math/test_linalg.py::test_jacobian_and_hessian_vs_finite_differences', 'tests/math/test_linalg.py::test_matrix_calculus_identities', 'tests/math/test_linalg.py::test_taylor_approx_orders_and_exactness'),
    ),
    "M.pr.1": (
        ('jaxml.math.prob:make', 'jaxml.math.prob:bernoulli', 'jaxml.math.prob:binomial', 'jaxml.math.prob:multinomial', 'jaxml.math.prob:uniform', 'jaxml.math.prob:gaussian', 'jaxml.math.prob:mvn', 'jaxml.math.prob:exponential', 'jaxml.math.prob:gamma', 'jaxml.math.prob:beta', 'jaxml.math.prob:poisson', 'jaxml.math.prob:dirichlet', 'jaxml.math.prob:wishart', 'jaxml.math.prob:sample', 'jaxml.math.prob:log_prob', 'jaxml.math.prob:mean', 'jaxml.math.prob:variance'),
        ('tests/math/test_prob.py::test_distribution_logpdf_and_moments_match_scipy', 'tests/math/test_prob.py::test_sample_and_log_prob_jit_agreement', 'tests/math/test_prob.py::test_distribution_bad_parameters_raise'),
    ),
    "M.pr.2": (
        ('jaxml.math.prob:marginal', 'jaxml.math.prob:conditional', 'jaxml.math.prob:bayes_rule', 'jaxml.math.prob:is_independent', 'jaxml.math.prob:lln_running_mean', 'jaxml.math.prob:clt_standardized_means'),
        ('tests/math/test_prob.py::test_tables_marginal_conditional_bayes_by_enumeration', 'tests/math/test_prob.py::test_lln_and_clt_demonstrations'),
    ),
    "M.pr.3": (
        ('jaxml.math.prob:mle_bernoulli', 'jaxml.math.prob:mle_binomial', 'jaxml.math.prob:mle_multinomial', 'jaxml.math.prob:mle_uniform', 'jaxml.math.prob:mle_gaussian', 'jaxml.math.prob:mle_mvn', 'jaxml.math.prob:mle_exponential', 'jaxml.math.prob:mle_gamma', 'jaxml.math.prob:mle_beta', 'jaxml.math.prob:mle_poisson', 'jaxml.math.prob:mle_dirichlet', 'jaxml.math.prob:standard_errors'),
        ('tests/math/test_prob.py::test_mle_closed_forms_and_fisher_information', 'tests/math/test_prob.py::test_mle_iterative_families_match_scipy_fit', 'tests/math/test_prob.py::test_mle_bias_consistency_and_cramer_rao'),
    ),
    "M.pr.4": (
        ('jaxml.math.prob:map_newton', 'jaxml.math.prob:beta_binomial_update', 'jaxml.math.prob:beta_mode', 'jaxml.math.prob:normal_normal_update', 'jaxml.math.prob:normal_inverse_gamma_update', 'jaxml.math.prob:gamma_poisson_update', 'jaxml.math.prob:gamma_mode', 'jaxml.math.prob:dirichlet_multinomial_update', 'jaxml.math.prob:normal_wishart_update'),
        ('tests/math/test_prob.py::test_beta_binomial_and_map_vs_grid', 'tests/math/test_prob.py::test_normal_normal_and_gamma_poisson_vs_grid', 'tests/math/test_prob.py::test_normal_inverse_gamma_vs_grid', 'tests/math/test_prob.py::test_dirichlet_multinomial_vs_grid', 'tests/math/test_prob.py::test_normal_wishart_vs_grid_and_sequential_updates'),
    ),
    "M.st.1": (
        ('jaxml.math.stats:z_test', 'jaxml.math.stats:ttest_1samp', 'jaxml.math.stats:ttest_ind', 'jaxml.math.stats:ttest_rel', 'jaxml.math.stats:chisquare', 'jaxml.math.stats:chi2_contingency', 'jaxml.math.stats:variance_ci', 'jaxml.math.stats:z_test_power', 'jaxml.math.stats:simulate_power'),
        ('tests/math/test_stats.py::test_t_tests_match_scipy_to_1e6', 'tests/math/test_stats.py::test_z_test_matches_statsmodels_and_closed_form', 'tests/math/test_stats.py::test_variance_ci_and_chi_square_tests_match_scipy', 'tests/math/test_stats.py::test_distribution_helpers_match_scipy', 'tests/math/test_stats.py::test_type_one_error_and_power_by_simulation'),
    ),
    "M.st.2": (
        ('jaxml.math.stats:kde', 'jaxml.math.stats:kde_log_density', 'jaxml.math.stats:scott_bandwidth', 'jaxml.math.stats:silverman_bandwidth', 'jaxml.math.stats:cv_bandwidth'),
        ('tests/math/test_stats.py::test_kde_matches_sklearn_kernel_density', 'tests/math/test_stats.py::test_kde_bandwidth_rules_match_scipy_gaussian_kde', 'tests/math/test_stats.py::test_cv_bandwidth_matches_brute_force_leave_one_out'),
    ),
    "M.st.3": (
        ('jaxml.math.stats:gaussian_linear_ic', 'jaxml.math.stats:vif'),
        ('tests/math/test_stats.py::test_aic_bic_match_statsmodels_ols', 'tests/math/test_stats.py::test_vif_matches_statsmodels'),
    ),
    "M.in.1": (
        ('jaxml.math.info:entropy', 'jaxml.math.info:joint_entropy', 'jaxml.math.info:conditional_entropy', 'jaxml.math.info:cross_entropy', 'jaxml.math.info:kl_divergence', 'jaxml.math.info:js_divergence', 'jaxml.math.info:mutual_information', 'jaxml.math.info:gaussian_entropy', 'jaxml.math.info:gaussian_kl', 'jaxml.math.info:gaussian_mutual_information'),
        ('tests/math/test_info.py::test_entropy_family_matches_scipy', 'tests/math/test_info.py::test_joint_conditional_and_mutual_information', 'tests/math/test_info.py::test_gaussian_closed_forms'),
    ),
    "M.in.2": (
        ('jaxml.math.info:blahut_arimoto',),
        ('tests/math/test_info.py::test_blahut_arimoto_binary_symmetric_and_erasure_channels', 'tests/math/test_info.py::test_blahut_arimoto_asymmetric_channel_and_jit'),
    ),
    "C.ker.1": (
        ('jaxml.classical.kernels:linear_kernel', 'jaxml.classical.kernels:polynomial_kernel', 'jaxml.classical.kernels:rbf_kernel', 'jaxml.classical.kernels:sigmoid_kernel', 'jaxml.classical.kernels:pairwise_kernel', 'jaxml.classical.kernels:is_mercer'),
        ('tests/classical/test_kernels.py::test_kernels_match_sklearn_float64', 'tests/classical/test_kernels.py::test_is_mercer_psd_kernels_pass', 'tests/classical/test_kernels.py::test_sigmoid_kernel_is_not_always_psd'),
    ),
    "C.ker.2": (
        ('jaxml.classical.kernel_ridge:kernel_ridge', 'jaxml.sklearn.kernel:KernelRidge'),
        ('tests/classical/test_kernel_ridge.py::test_kernel_ridge_matches_sklearn', 'tests/classical/test_kernel_ridge.py::test_kernel_ridge_jit_vmap_over_alpha', 'tests/sklearn/test_sklearn_kernel.py::test_svr_and_kernel_ridge_match_sklearn'),
    ),
    "C.svm.1": (
        ('jaxml.classical.svm:linear_svm', 'jaxml.classical.svm:smo_solve', 'jaxml.classical.svm:svc', 'jaxml.classical.svm:svr', 'jaxml.sklearn.kernel:SVC', 'jaxml.sklearn.kernel:SVR'),
        ('tests/classical/test_svm.py::test_svc_binary_matches_sklearn', 'tests/classical/test_svm.py::test_svc_multiclass_ovo_matches_sklearn', 'tests/classical/test_svm.py::test_smo_kkt_conditions_hold', 'tests/classical/test_svm.py::test_svr_matches_sklearn', 'tests/classical/test_svm.py::test_linear_svm_pegasos_matches_liblinear_objective', 'tests/sklearn/test_sklearn_kernel.py::test_svc_matches_sklearn_multiclass', 'tests/sklearn/test_sklearn_kernel.py::test_sklearn_estimator_checks'),
    ),
    "C.gp.1": (
        ('jaxml.classical.gp:gp_regression', 'jaxml.classical.gp:gp_classification', 'jaxml.classical.gp:log_marginal_likelihood', 'jaxml.classical.gp:laplace_log_marginal_likelihood', 'jaxml.classical.gp:fit_hyperparameters', 'jaxml.classical.gp:latent_predictive', 'jaxml.sklearn.kernel:GaussianProcessRegressor', 'jaxml.sklearn.kernel:GaussianProcessClassifier'),
        ('tests/classical/test_gp.py::test_gpr_fixed_hyperparameters_match_sklearn', 'tests/classical/test_gp.py::test_gpr_lml_and_gradient_match_sklearn', 'tests/classical/test_gp.py::test_gpr_fitted_hyperparameters_reach_sklearn_lml_float32', 'tests/classical/test_gp.py::test_gpc_fixed_kernel_matches_sklearn', 'tests/classical/test_gp.py::test_gpc_laplace_gradient_matches_sklearn', 'tests/classical/test_gp.py::test_gpc_fitted_hyperparameters_reach_sklearn_lml', 'tests/sklearn/test_sklearn_kernel.py::test_gaussian_processes_match_sklearn', 'tests/sklearn/test_sklearn_kernel.py::test_gp_float32_input_under_x64_matches_float64'),
    ),
    "B.1": (
        ('jaxml.bayes.blr:model', 'jaxml.bayes.blr:posterior_known_noise', 'jaxml.bayes.blr:posterior_nig', 'jaxml.bayes.blr:fit_nuts', 'jaxml.bayes.blr:fit_svi', 'jaxml.bayes.inference:run_nuts', 'jaxml.bayes.inference:run_svi', 'jaxml.bayes.inference:predictive', 'jaxml.bayes.inference:predictive_moments'),
        ('tests/bayes/test_blr.py::test_nuts_matches_conjugate_nig', 'tests/bayes/test_blr.py::test_svi_matches_conjugate_known_noise', 'tests/bayes/test_blr.py::test_known_noise_mean_is_ridge', 'tests/bayes/test_blr.py::test_nig_closed_form_against_numpy', 'tests/bayes/test_inference.py::test_chunked_deterministic_sites_equal_direct', 'tests/bayes/test_inference.py::test_predictive_moments_stream_matches_samples'),
    ),
    "B.2": (
        ('jaxml.bayes.bnn:model', 'jaxml.bayes.bnn:map_starts', 'jaxml.bayes.bnn:bnn_nuts', 'jaxml.bayes.bnn:bnn_svi', 'jaxml.bayes.bnn:regression_uncertainty', 'jaxml.bayes.bnn:classification_uncertainty'),
        ('tests/bayes/test_bnn.py::test_nuts_linear_bnn_matches_conjugate', 'tests/bayes/test_bnn.py::test_svi_guides_match_conjugate', 'tests/bayes/test_bnn.py::test_predict_samples_regression', 'tests/bayes/test_bnn.py::test_uncertainty_decompositions', 'tests/bayes/test_bnn.py::test_classification_end_to_end', 'tests/bayes/test_bnn.py::test_map_starts_reach_the_posterior_mode'),
    ),
    "B.3": (
        ('jaxml.bayes.mc_dropout:mc_dropout', 'jaxml.bayes.ensembles:deep_ensemble', 'jaxml.bayes.ensembles:member_keys', 'jaxml.bayes.training:train_mlp', 'jaxml.bayes.uncertainty:predict', 'jaxml.bayes.uncertainty:brier_score', 'jaxml.bayes.uncertainty:ood_auroc', 'jaxml.classical.calibration:expected_calibration_error', 'jaxml.classical.metrics:log_loss', 'jaxml.experiments.bayes_uncertainty:run'),
        ('tests/bayes/test_mc_dropout_ensembles.py::test_vmapped_ensemble_equals_members_one_by_one', 'tests/bayes/test_mc_dropout_ensembles.py::test_mc_dropout_samples_are_dropout_forward_passes', 'tests/bayes/test_mc_dropout_ensembles.py::test_learning_rate_sweep_compiles_once', 'tests/bayes/test_uncertainty.py::test_predict_all_four_methods_law_of_total_variance', 'tests/bayes/test_uncertainty.py::test_ood_auroc_and_entropy', 'tests/bayes/test_uncertainty.py::test_brier_matches_sklearn', 'tests/classical/test_calibration.py::test_top_label_reliability_curve_brute_force', 'tests/experiments/test_bayes_uncertainty.py::test_target_sentences_follow_the_numbers'),
    ),
    "B.4": (
        ('jaxml.bayes.em:em', 'jaxml.bayes.em:fit_gmm1d', 'jaxml.bayes.vi:kl_diag_gaussians', 'jaxml.bayes.vi:kl_gaussians', 'jaxml.bayes.vi:elbo', 'jaxml.bayes.vi:fit_gaussian_vi'),
        ('tests/bayes/test_em.py::test_matches_sklearn_from_same_init', 'tests/bayes/test_em.py::test_log_likelihood_never_decreases_and_history', 'tests/bayes/test_vi.py::test_kl_diag_against_monte_carlo_and_scipy', 'tests/bayes/test_vi.py::test_kl_full_against_monte_carlo', 'tests/bayes/test_vi.py::test_elbo_equals_evidence_at_posterior_and_bounds_it', 'tests/bayes/test_vi.py::test_fit_gaussian_vi_recovers_posterior'),
    ),
    "B.5": (
        ('jaxml.bayes.hmm:forward_backward', 'jaxml.bayes.hmm:viterbi', 'jaxml.bayes.hmm:baum_welch', 'jaxml.bayes.hmm:sample', 'jaxml.bayes.hmm:numpyro_model', 'jaxml.experiments.hmm_casino:run'),
        ('tests/bayes/test_hmm.py::test_categorical_matches_hmmlearn', 'tests/bayes/test_hmm.py::test_long_sequence_posteriors_match_hmmlearn_in_float32', 'tests/bayes/test_hmm.py::test_gaussian_matches_hmmlearn', 'tests/bayes/test_hmm.py::test_brute_force_enumeration', 'tests/bayes/test_hmm.py::test_baum_welch_monotone_and_matches_hmmlearn', 'tests/bayes/test_hmm.py::test_numpyro_model_marginalises_states', 'tests/experiments/test_hmm_casino.py::test_quick_run_writes_results'),
    ),
    "B.6": (
        ('jaxml.bayes.bayesnet:bayes_net', 'jaxml.bayes.bayesnet:sample', 'jaxml.bayes.bayesnet:log_joint', 'jaxml.bayes.bayesnet:fit_cpts', 'jaxml.bayes.bayesnet:asia', 'jaxml.bayes.bayesnet:sprinkler', 'jaxml.bayes.bn_inference:query', 'jaxml.bayes.bn_inference:map_query', 'jaxml.bayes.bn_inference:log_evidence', 'jaxml.bayes.bn_inference:intervene', 'jaxml.bayes.bn_inference:d_separated', 'jaxml.bayes.bn_inference:elimination_order', 'jaxml.bayes.structure:local_score', 'jaxml.bayes.structure:network_score', 'jaxml.bayes.structure:hill_climb', 'jaxml.bayes.structure:ci_test', 'jaxml.bayes.structure:pc', 'jaxml.bayes.structure:dag_to_cpdag', 'jaxml.bayes.structure:shd', 'jaxml.experiments.graphical_models:run'),
        ('tests/bayes/test_bayesnet.py::test_ve_and_enumeration_match_brute_force', 'tests/bayes/test_bayesnet.py::test_sprinkler_textbook_values', 'tests/bayes/test_bayesnet.py::test_matches_pgmpy_variable_elimination_and_belief_propagation', 'tests/bayes/test_bayesnet.py::test_map_query_matches_brute_force_and_pgmpy', 'tests/bayes/test_bayesnet.py::test_interventions_match_truncated_factorisation', 'tests/bayes/test_bayesnet.py::test_d_separation_matches_networkx', 'tests/bayes/test_bayesnet.py::test_fit_cpts_matches_pgmpy_estimators', 'tests/bayes/test_bayesnet.py::test_sampling_matches_exact_marginals_and_joint', 'tests/bayes/test_structure.py::test_scores_match_pgmpy', 'tests/bayes/test_structure.py::test_ci_test_matches_scipy', 'tests/bayes/test_structure.py::test_ci_test_matches_pgmpy', 'tests/bayes/test_structure.py::test_dag_to_cpdag_matches_brute_force', 'tests/bayes/test_structure.py::test_hill_climb_recovers_classic_networks', 'tests/bayes/test_structure.py::test_hill_climb_restarts_escape_a_local_optimum', 'tests/bayes/test_structure.py::test_hill_climb_matches_pgmpy', 'tests/bayes/test_structure.py::test_pc_classic_networks', 'tests/experiments/test_graphical_models.py::test_quick_run_writes_results'),
    ),
    "B.7": (
        ('jaxml.bayes.mrf:exact_inference', 'jaxml.bayes.mrf:enumerate_factors', 'jaxml.bayes.mrf:belief_propagation', 'jaxml.bayes.mrf:max_product_bp', 'jaxml.bayes.mrf:bethe_log_partition', 'jaxml.bayes.mrf:mean_field', 'jaxml.bayes.mrf:ising_mrf', 'jaxml.bayes.mrf:ising_denoise', 'jaxml.experiments.graphical_models:run'),
        ('tests/bayes/test_mrf.py::test_exact_inference_matches_itertools', 'tests/bayes/test_mrf.py::test_tree_bp_exact_float64', 'tests/bayes/test_mrf.py::test_tree_bp_matches_pgmpy', 'tests/bayes/test_mrf.py::test_loopy_bp_on_grids_close_to_exact', 'tests/bayes/test_mrf.py::test_mean_field_elbo_is_a_lower_bound_and_monotone', 'tests/bayes/test_mrf.py::test_ising_denoise_restores_the_image', 'tests/experiments/test_graphical_models.py::test_quick_run_writes_results'),
    ),
    "B.8": (
        ('jaxml.bayes.mcmc:metropolis_hastings', 'jaxml.bayes.mcmc:random_walk_metropolis', 'jaxml.bayes.mcmc:independence_metropolis', 'jaxml.bayes.mcmc:gibbs_bivariate_gaussian', 'jaxml.bayes.mcmc:gibbs_ising', 'jaxml.bayes.mcmc:gibbs_gmm_collapsed', 'jaxml.bayes.mcmc:split_r_hat', 'jaxml.bayes.mcmc:effective_sample_size', 'jaxml.experiments.graphical_models:run'),
        ('tests/bayes/test_mcmc.py::test_random_walk_recovers_conjugate_normal_posterior', 'tests/bayes/test_mcmc.py::test_independence_metropolis_recovers_gamma_posterior', 'tests/bayes/test_mcmc.py::test_metropolis_hastings_hastings_correction_for_a_multiplicative_walk', 'tests/bayes/test_mcmc.py::test_gibbs_bivariate_gaussian_moments_and_lag1_autocorrelation', 'tests/bayes/test_mcmc.py::test_gibbs_ising_matches_enumeration', 'tests/bayes/test_mcmc.py::test_collapsed_gmm_co_clustering_matches_enumeration', 'tests/bayes/test_mcmc.py::test_diagnostics_equal_numpyro_float64', 'tests/experiments/test_graphical_models.py::test_quick_run_writes_results'),
    ),
    "B.9": (
        ('jaxml.bayes.lda:bars_topics', 'jaxml.bayes.lda:sample_corpus', 'jaxml.bayes.lda:collapsed_gibbs', 'jaxml.bayes.lda:variational_lda', 'jaxml.bayes.lda:perplexity', 'jaxml.bayes.lda:match_topics', 'jaxml.experiments.graphical_models:run'),
        ('tests/bayes/test_lda.py::test_gibbs_samples_the_exact_posterior_of_a_tiny_corpus', 'tests/bayes/test_lda.py::test_gibbs_recovers_the_bars', 'tests/bayes/test_lda.py::test_variational_recovers_the_bars_and_elbo_never_decreases', 'tests/bayes/test_lda.py::test_e_step_bound_and_perplexity_equal_scikit_learn', 'tests/bayes/test_lda.py::test_perplexity_close_to_scikit_learn', 'tests/experiments/test_graphical_models.py::test_quick_run_writes_results'),
    ),
    "B.10": (
        ('jaxml.bayes.gp:model', 'jaxml.bayes.gp:predict', 'jaxml.bayes.gp:fit_nuts', 'jaxml.bayes.gp:posterior_predictive', 'jaxml.bayes.gp:gp_nuts'),
        ('tests/bayes/test_gp.py::test_predict_matches_sklearn', 'tests/bayes/test_gp.py::test_nuts_with_tight_hyperpriors_reduces_to_fixed_gp'),
    ),
    "C.sel.1": (
        ('jaxml.classical.model_selection:kfold', 'jaxml.classical.model_selection:stratified_kfold', 'jaxml.classical.model_selection:group_kfold', 'jaxml.classical.model_selection:time_series_split', 'jaxml.classical.model_selection:cross_validate', 'jaxml.classical.model_selection:grid_search'),
        ('tests/classical/test_model_selection.py::test_kfold_matches_sklearn', 'tests/classical/test_model_selection.py::test_stratified_kfold_matches_sklearn', 'tests/classical/test_model_selection.py::test_group_kfold_matches_sklearn', 'tests/classical/test_model_selection.py::test_time_series_split_matches_sklearn', 'tests/classical/test_model_selection.py::test_cross_validate_ridge_matches_gridsearchcv_in_one_trace', 'tests/classical/test_model_selection.py::test_grid_search_logistic_matches_gridsearchcv'),
    ),
    "C.sel.2": (
        ('jaxml.classical.model_selection:bias_variance_decomposition', 'jaxml.classical.model_selection:learning_curve', 'jaxml.classical.model_selection:validation_curve'),
        ('tests/classical/test_model_selection.py::test_bias_variance_fixed_design_ols_closed_form', 'tests/classical/test_model_selection.py::test_validation_and_learning_curves_match_sklearn'),
    ),
    "C.met.1": (
        ('jaxml.classical.metrics:accuracy', 'jaxml.classical.metrics:precision_recall_fscore', 'jaxml.classical.metrics:f1_score', 'jaxml.classical.metrics:confusion_matrix', 'jaxml.classical.metrics:roc_curve', 'jaxml.classical.metrics:roc_auc', 'jaxml.classical.metrics:precision_recall_curve', 'jaxml.classical.metrics:average_precision', 'jaxml.classical.metrics:log_loss'),
        ('tests/classical/test_metrics.py::test_prf_matches_sklearn_multiclass', 'tests/classical/test_metrics.py::test_accuracy_and_confusion_matrix_match_sklearn', 'tests/classical/test_metrics.py::test_roc_curve_matches_sklearn_with_ties', 'tests/classical/test_metrics.py::test_pr_curve_and_average_precision_match_sklearn_with_ties', 'tests/classical/test_metrics.py::test_roc_auc_is_mann_whitney_probability', 'tests/classical/test_metrics.py::test_log_loss_matches_sklearn'),
    ),
    "C.met.2": (
        ('jaxml.classical.metrics:mse', 'jaxml.classical.metrics:mae', 'jaxml.classical.metrics:r2', 'jaxml.classical.metrics:huber'),
        ('tests/classical/test_metrics.py::test_regression_metrics_match_sklearn', 'tests/classical/test_metrics.py::test_r2_constant_target_and_jit'),
    ),
    "C.met.3": (
        ('jaxml.classical.metrics:mean_average_precision', 'jaxml.classical.metrics:ndcg'),
        ('tests/classical/test_metrics.py::test_ndcg_matches_sklearn_with_ties', 'tests/classical/test_metrics.py::test_mean_average_precision_matches_sklearn_samples_average'),
    ),
    "C.met.4": (
        ('jaxml.classical.calibration:reliability_curve', 'jaxml.classical.calibration:expected_calibration_error', 'jaxml.classical.calibration:platt_scaling', 'jaxml.classical.calibration:isotonic_regression', 'jaxml.classical.calibration:temperature_scaling'),
        ('tests/classical/test_calibration.py::test_reliability_curve_matches_sklearn', 'tests/classical/test_calibration.py::test_ece_binary_and_top_label_brute_force', 'tests/classical/test_calibration.py::test_platt_scaling_matches_sklearn_sigmoid_calibration', 'tests/classical/test_calibration.py::test_isotonic_matches_sklearn_with_ties_and_weights', 'tests/classical/test_calibration.py::test_temperature_scaling_matches_scipy'),
    ),
    "C.pre.1": (
        ('jaxml.classical.preprocessing:standard_scaler', 'jaxml.classical.preprocessing:min_max_scaler', 'jaxml.classical.preprocessing:robust_scaler', 'jaxml.classical.preprocessing:log1p_transformer', 'jaxml.classical.preprocessing:box_cox_transformer', 'jaxml.classical.preprocessing:one_hot_encoder', 'jaxml.classical.preprocessing:target_encoder', 'jaxml.sklearn.preprocessing:StandardScaler', 'jaxml.sklearn.preprocessing:MinMaxScaler', 'jaxml.sklearn.preprocessing:RobustScaler'),
        ('tests/classical/test_preprocessing.py::test_scalers_match_sklearn_and_invert', 'tests/classical/test_preprocessing.py::test_box_cox_matches_scipy_mle', 'tests/classical/test_preprocessing.py::test_one_hot_encoder_matches_sklearn', 'tests/classical/test_preprocessing.py::test_target_encoder_matches_sklearn', 'tests/sklearn/test_sklearn_preprocessing.py::test_sklearn_estimator_checks', 'tests/sklearn/test_sklearn_preprocessing.py::test_matches_sklearn_in_float64'),
    ),
    "C.pre.2": (
        ('jaxml.classical.preprocessing:chi2', 'jaxml.classical.preprocessing:mutual_info_discrete', 'jaxml.classical.preprocessing:rfe', 'jaxml.classical.preprocessing:l1_selection', 'jaxml.math.stats:vif'),
        ('tests/classical/test_preprocessing.py::test_chi2_matches_sklearn', 'tests/classical/test_preprocessing.py::test_mutual_info_discrete_matches_sklearn', 'tests/classical/test_preprocessing.py::test_rfe_matches_sklearn', 'tests/classical/test_preprocessing.py::test_l1_selection_matches_sklearn_lasso', 'tests/math/test_stats.py::test_vif_matches_statsmodels'),
    ),
    "C.pre.3": (
        ('jaxml.classical.preprocessing:compute_class_weight', 'jaxml.classical.preprocessing:random_oversample', 'jaxml.classical.preprocessing:random_undersample', 'jaxml.classical.preprocessing:smote', 'jaxml.classical.preprocessing:focal_loss', 'jaxml.classical.preprocessing:best_threshold'),
        ('tests/classical/test_preprocessing.py::test_class_weight_matches_sklearn', 'tests/classical/test_preprocessing.py::test_random_over_and_under_sampling_counts_match_imblearn', 'tests/classical/test_preprocessing.py::test_smote_points_on_neighbour_segments_and_counts_match_imblearn', 'tests/classical/test_preprocessing.py::test_focal_loss_reduces_to_cross_entropy_and_matches_formula', 'tests/classical/test_preprocessing.py::test_best_threshold_matches_brute_force'),
    ),
    "R.mdp.1": (
        ('jaxml.rl.mdp:value_iteration', 'jaxml.rl.mdp:policy_iteration', 'jaxml.rl.mdp:policy_evaluation', 'jaxml.rl.mdp:bellman_residual', 'jaxml.rl.envs.tabular:gridworld', 'jaxml.rl.envs.tabular:garnet', 'jaxml.experiments.rl_tabular:run'),
        ('tests/rl/test_mdp.py::test_vi_pi_and_exact_solve_agree[grid]', 'tests/rl/test_mdp.py::test_optimal_value_beats_every_deterministic_policy', 'tests/rl/test_envs.py::test_transition_tensors_match_step_sampling[slippery_grid]', 'tests/experiments/test_rl_tabular.py::test_rl_tabular_quick_run'),
    ),
    "R.tab.1": (
        ('jaxml.rl.tabular:make_train', 'jaxml.rl.tabular:td_lambda_update', 'jaxml.rl.tabular:mc_update', 'jaxml.experiments.rl_tabular:run'),
        ('tests/rl/test_tabular.py::test_offline_td1_equals_every_visit_mc', 'tests/rl/test_tabular.py::test_q_learning_optimal_and_sarsa_safe_on_cliff', 'tests/rl/test_tabular.py::test_prediction_converges_to_exact_value[td0]', 'tests/contracts/test_agents.py::test_vmap_over_seeds_with_array_hyperparameters_equals_loop[tabular_expected_sarsa]', 'tests/contracts/test_agents.py::test_metrics_are_arrays_of_the_documented_length[tabular_td_lambda]'),
    ),
    "R.ban.1": (
        ('jaxml.rl.bandits:make_train', 'jaxml.rl.bandits:regret_curves', 'jaxml.rl.bandits:lai_robbins_constant', 'jaxml.experiments.rl_bandits:run'),
        ('tests/rl/test_bandits.py::test_epsilon_greedy_regret_is_linear_with_the_predicted_slope', 'tests/rl/test_bandits.py::test_ucb_and_thompson_regret_is_sublinear[ucb1]', 'tests/experiments/test_rl_bandits.py::test_rl_bandits_quick_run', 'tests/contracts/test_agents.py::test_vmap_over_seeds_with_array_hyperparameters_equals_loop[bandit_thompson_gaussian]'),
    ),
    "R.dqn.1": (
        ('jaxml.rl.dqn:make_train', 'jaxml.rl.dqn:make_act', 'jaxml.rl.dqn:dqn_loss', 'jaxml.rl.dqn:categorical_projection', 'jaxml.rl.buffers:sample'),
        ('tests/rl/test_dqn.py::test_td_target_matches_direct_computation[True]', 'tests/rl/test_dqn.py::test_categorical_projection_matches_brute_force', 'tests/rl/test_dqn.py::test_short_runs_are_finite[True]', 'tests/rl/test_dqn.py::test_dqn_learns_cartpole_and_acts_greedily', 'tests/contracts/test_agents.py::test_vmap_over_seeds_with_array_hyperparameters_equals_loop[dqn_rainbow]', 'tests/contracts/test_agents.py::test_config_rejects_bad_values_naming_the_field[dqn-eps_fraction]', 'tests/rl/test_common.py::test_nstep_sampling_matches_brute_force[3]', 'tests/rl/test_common.py::test_prioritized_sampling_and_weights'),
    ),
    "R.pg.1": (
        ('jaxml.rl.ppo:make_train', 'jaxml.rl.ppo:ppo_loss', 'jaxml.rl.trpo:make_train', 'jaxml.rl.trpo:conjugate_gradient', 'jaxml.rl.a2c:make_train', 'jaxml.rl.reinforce:make_train', 'jaxml.rl.common:gae_advantages', 'jaxml.rl.common:AgentConfig', 'jaxml.experiments.rl_cartpole:run', 'jaxml.experiments.bench_rl:run'),
        ('tests/rl/test_ppo.py::test_clipped_loss_matches_direct_computation', 'tests/rl/test_ppo.py::test_short_jitted_run_improves_cartpole_return', 'tests/rl/test_trpo.py::test_conjugate_gradient_matches_direct_solve', 'tests/rl/test_common.py::test_gae_matches_python_loop', 'tests/rl/test_pg.py::test_reinforce_and_a2c_losses_match_direct_computation', 'tests/rl/test_pg.py::test_reinforce_short_run_reports_gradient_variance', 'tests/rl/test_pg.py::test_a2c_learns_cartpole', 'tests/rl/test_pg.py::test_reinforce_learns_cartpole', 'tests/rl/test_pg.py::test_baseline_lowers_the_variance_of_the_policy_gradient', 'tests/rl/test_ppo.py::test_learning_rate_sweep_compiles_once_and_equals_unswept_runs', 'tests/contracts/test_agents.py::test_vmap_over_seeds_with_array_hyperparameters_equals_loop[ppo]', 'tests/contracts/test_agents.py::test_config_rejects_bad_values_naming_the_field[ppo-gamma]', 'tests/experiments/test_rl_cartpole.py::test_rl_cartpole_quick_run_reports_both_reinforce_variances', 'tests/experiments/test_bench_rl.py::test_bench_rl_without_peer_reports_ours_only'),
    ),
    "T.dd.1": (
        ('jaxml.theory.double_descent:least_squares_risk_mc', 'jaxml.theory.double_descent:minnorm_risk_finite', 'jaxml.theory.double_descent:minnorm_risk_asymptotic', 'jaxml.theory.double_descent:least_squares_risk_mc_samples', 'jaxml.theory.double_descent:minnorm_feature_sweep', 'jaxml.theory.double_descent:sgd_width_sweep', 'jaxml.experiments.double_descent:run'),
        ('tests/theory/test_double_descent.py::test_minnorm_mc_matches_finite_closed_form', 'tests/theory/test_double_descent.py::test_samplewise_minnorm_mc_matches_finite_closed_form_and_more_data_hurts', 'tests/theory/test_double_descent.py::test_sgd_width_sweep_shapes_determinism_and_learning', 'tests/theory/test_double_descent.py::test_feature_sweep_matches_pinv_per_width', 'tests/theory/test_double_descent.py::test_masked_mlp_equals_unmasked_flax_mlp_and_masked_units_get_no_gradient', 'tests/experiments/test_double_descent.py::test_double_descent_quick_run_end_to_end'),
    ),
    "T.ntk.1": (
        ('jaxml.theory.ntk:empirical_ntk_fn', 'jaxml.theory.ntk:analytic_fc_kernels', 'jaxml.theory.ntk:linearize', 'jaxml.theory.ntk:gradient_flow_mse_predictor', 'jaxml.theory.ntk:kernel_regression', 'jaxml.experiments.ntk:run'),
        ('tests/theory/test_ntk.py::test_empirical_ntk_implementations_agree_with_explicit_jacobian', 'tests/theory/test_ntk.py::test_analytic_ntk_matches_average_of_wide_empirical_kernels', 'tests/theory/test_ntk.py::test_linearize_equals_network_at_init_and_first_order_expansion', 'tests/theory/test_ntk.py::test_closed_form_predictor_matches_gd_on_linearised_model', 'tests/theory/test_ntk.py::test_minibatch_sgd_matches_a_numpy_loop_on_a_linear_model', 'tests/experiments/test_ntk.py::test_ntk_quick_run_end_to_end'),
    ),
    "T.lth.1": (
        ('jaxml.theory.lottery:magnitude_prune', 'jaxml.theory.lottery:iterative_magnitude_pruning', 'jaxml.theory.lottery:masked_updates', 'jaxml.theory.lottery:random_mask_like', 'jaxml.theory.lottery:equivalent_rate', 'jaxml.theory.lottery:sparsity', 'jaxml.experiments.lottery_tickets:run'),
        ('tests/theory/test_lottery.py::test_layerwise_mask_has_the_requested_sparsity', 'tests/theory/test_lottery.py::test_pruned_weights_are_the_smallest_surviving_magnitudes_brute_force', 'tests/theory/test_lottery.py::test_global_scope_uses_one_threshold_over_hidden_layers', 'tests/theory/test_lottery.py::test_rewinding_restores_the_stored_weights_exactly', 'tests/theory/test_lottery.py::test_masked_weights_stay_exactly_zero_through_training', 'tests/theory/test_lottery.py::test_random_mask_keeps_every_layers_sparsity', 'tests/theory/test_lottery.py::test_prune_bias_ranks_each_bias_with_its_kernel_brute_force', 'tests/theory/test_lottery.py::test_other_bad_input_raises_clear_errors', 'tests/experiments/test_lottery_tickets.py::test_lottery_tickets_quick_run_end_to_end'),
    ),
    "T.pac.1": (
        ('jaxml.theory.pac_bayes:binary_kl', 'jaxml.theory.pac_bayes:kl_inverse', 'jaxml.theory.pac_bayes:pac_bayes_kl_bound', 'jaxml.theory.pac_bayes:union_bound_cost', 'jaxml.theory.pac_bayes:mc_error_upper', 'jaxml.theory.pac_bayes:pac_bayes_objective', 'jaxml.theory.pac_bayes:final_bound', 'jaxml.theory.pac_bayes:data_dependent_bound', 'jaxml.experiments.pac_bayes:run'),
        ('tests/theory/test_pac_bayes.py::test_kl_inverse_matches_bisection_and_brentq', 'tests/theory/test_pac_bayes.py::test_bound_functions_equal_direct_formulas', 'tests/theory/test_pac_bayes.py::test_union_bound_cost_on_the_grid', 'tests/theory/test_pac_bayes.py::test_objective_is_differentiable_and_equals_its_formula', 'tests/theory/test_pac_bayes.py::test_bound_holds_on_held_out_data', 'tests/theory/test_pac_bayes.py::test_data_dependent_bound_uses_only_s_bound_and_rejects_overlap', 'tests/theory/test_pac_bayes.py::test_data_dependent_bound_with_w0_prior_equals_data_free_bound', 'tests/theory/test_pac_bayes.py::test_bad_input_raises_clear_errors', 'tests/experiments/test_pac_bayes.py::test_pac_bayes_quick_run_end_to_end'),
    ),
    "P.fair.1": (
        ('jaxml.trust.fairness:group_rates', 'jaxml.trust.fairness:demographic_parity_difference', 'jaxml.trust.fairness:demographic_parity_ratio', 'jaxml.trust.fairness:equalized_odds_difference', 'jaxml.trust.fairness:equalized_odds_ratio', 'jaxml.trust.fairness:equal_opportunity_difference', 'jaxml.trust.fairness:predictive_parity_difference', 'jaxml.trust.fairness:group_calibration', 'jaxml.trust.fairness:fit_postprocessing', 'jaxml.trust.fairness:postprocess_predict', 'jaxml.trust.fairness:expected_group_rates', 'jaxml.data.fairness_scm:make_fairness_scm', 'jaxml.data.fairness_scm:fairness_scm_counterfactual', 'jaxml.experiments.trust_tour:run', 'jaxml.trust.reductions:exponentiated_gradient', 'jaxml.trust.reductions:mixture_predict_proba', 'jaxml.trust.reductions:mixture_predict'),
        ('tests/data/test_fairness_scm.py::test_rows_follow_the_structural_equations', 'tests/data/test_fairness_scm.py::test_counterfactual_flips_a_and_changes_only_its_descendants', 'tests/experiments/test_trust_tour.py::test_trust_tour_private_explain_and_fairness_sections', 'tests/trust/test_reductions.py::test_mixture_meets_the_constraint_and_matches_fairlearn[equalized_odds]', 'tests/trust/test_reductions.py::test_bad_input_raises_clear_errors', 'tests/trust/test_fairness.py::test_bad_input_raises_clear_errors', 'tests/trust/test_fairness.py::test_equal_opportunity_constraint_only_equalises_tpr', 'tests/trust/test_fairness.py::test_group_calibration_equals_a_direct_count', 'tests/trust/test_fairness.py::test_metrics_equal_fairlearn', 'tests/trust/test_fairness.py::test_postprocessing_equalises_odds_and_is_optimal_on_a_grid'),
    ),
    "P.exp.1": (
        ('jaxml.deploy.export:export_model', 'jaxml.deploy.export:load_model', 'jaxml.deploy.export:export_onnx'),
        ('tests/deploy/test_export.py::test_round_trip_equals_the_model_at_every_batch_size', 'tests/deploy/test_export.py::test_loading_needs_none_of_the_model_code', 'tests/deploy/test_export.py::test_a_boosted_tree_classifier_exports_through_its_fitted_pytree', 'tests/deploy/test_export.py::test_altered_artifacts_and_wrong_inputs_are_refused', 'tests/deploy/test_export.py::test_onnx_export_runs_in_onnxruntime_and_equals_jax'),
    ),
    "P.srv.1": (
        ('jaxml.deploy.serve:make_app', 'jaxml.deploy.serve:serve', 'jaxml.deploy.serve:served_model', 'jaxml.deploy.serve:served_model_from_artifact', 'jaxml.deploy.serve:MicroBatcher', 'jaxml.deploy.serve:batch_buckets', 'jaxml.deploy.serve:Metrics', 'jaxml.deploy.serve:Histogram', 'jaxml.deploy.serve:CanarySplit', 'jaxml.deploy.monitor:canary_pvalue', 'jaxml.deploy.monitor:slower_pvalue', 'jaxml.experiments.bench_serving:run'),
        ('tests/deploy/test_serve.py::test_health_and_metadata', 'tests/deploy/test_serve.py::test_infer_equals_the_exported_function[5]', 'tests/deploy/test_serve.py::test_tritonclient_speaks_to_the_server', 'tests/deploy/test_serve.py::test_errors_name_what_was_expected', 'tests/deploy/test_serve.py::test_concurrent_requests_are_batched_into_bucket_sizes', 'tests/deploy/test_serve.py::test_fuzz_of_malformed_requests_gets_4xx_and_the_server_keeps_serving', 'tests/deploy/test_serve.py::test_sigterm_drains_the_request_in_flight', 'tests/deploy/test_serve.py::test_a_failing_canary_is_rolled_back_and_traffic_returns_to_stable', 'tests/deploy/test_serve.py::test_a_good_canary_gets_its_share_and_is_promoted', 'tests/deploy/test_serve.py::test_a_slow_canary_is_rolled_back_for_latency', 'tests/deploy/test_serve.py::test_one_stalled_request_does_not_roll_back_a_canary', 'tests/deploy/test_monitor.py::test_slower_pvalue_equals_scipys_mann_whitney[3]', 'tests/deploy/test_serve.py::test_histogram_counts_equal_numpy_and_use_constant_memory'),
    ),
    "P.ops.1": (
        ('jaxml.deploy.tracking:log_results', 'jaxml.deploy.tracking:local_store', 'jaxml.deploy.tracking:register_model', 'jaxml.deploy.tracking:model_version_for_alias', 'jaxml.deploy.tracking:mlflow_name'),
        ('tests/deploy/test_tracking.py::test_logged_run_reads_back_through_mlflows_client', 'tests/deploy/test_tracking.py::test_registry_versions_and_aliases', 'tests/deploy/test_tracking.py::test_repro_track_logs_the_run', 'tests/deploy/test_tracking.py::test_bad_input_is_refused'),
    ),
    "P.ops.2": (
        ('jaxml.deploy.pipeline:Stage', 'jaxml.deploy.pipeline:run_pipeline', 'jaxml.deploy.pipeline:stage_keys', 'jaxml.deploy.pipeline:topological_order', 'jaxml.deploy.pipeline:code_fingerprint', 'jaxml.deploy.pipeline:read_lineage', 'jaxml.deploy.pipeline:outputs_equal'),
        ('tests/deploy/test_pipeline.py::test_a_rerun_with_nothing_changed_executes_nothing_and_gives_the_same_bits', 'tests/deploy/test_pipeline.py::test_a_changed_config_reruns_that_stage_and_its_dependants_only', 'tests/deploy/test_pipeline.py::test_changed_code_reruns_that_stage_and_its_dependants_only', 'tests/deploy/test_pipeline.py::test_a_fresh_cache_reproduces_the_outputs_bit_for_bit', 'tests/deploy/test_pipeline.py::test_keys_are_the_same_in_a_fresh_process', 'tests/deploy/test_pipeline.py::test_lineage_chains_the_input_keys_and_hashes_the_output', 'tests/deploy/test_pipeline.py::test_bad_pipelines_raise_clear_errors'),
    ),
    "P.mon.1": (
        ('jaxml.deploy.monitor:ks_drift', 'jaxml.deploy.monitor:kolmogorov_sf', 'jaxml.deploy.monitor:chi2_drift', 'jaxml.deploy.monitor:population_stability_index', 'jaxml.deploy.monitor:mmd2_unbiased', 'jaxml.deploy.monitor:mmd_drift', 'jaxml.deploy.monitor:two_proportion_z_test', 'jaxml.deploy.monitor:ab_sample_size', 'jaxml.deploy.monitor:classifier_drift', 'jaxml.deploy.monitor:cusum_alarm', 'jaxml.deploy.monitor:cusum_average_run_length', 'jaxml.deploy.monitor:canary_rollout', 'jaxml.deploy.monitor:alpha_spent', 'jaxml.deploy.monitor:group_sequential_bounds', 'jaxml.deploy.monitor:hosmer_lemeshow', 'jaxml.deploy.monitor:calibration_drift'),
        ('tests/deploy/test_monitor.py::test_ks_statistic_is_scipys_and_pvalue_the_kolmogorov_law[0.3]', 'tests/deploy/test_monitor.py::test_ks_and_chi2_hold_their_level_under_the_null', 'tests/deploy/test_monitor.py::test_chi2_drift_equals_scipy_contingency', 'tests/deploy/test_monitor.py::test_psi_is_the_direct_formula_and_ignores_monotone_transforms', 'tests/deploy/test_monitor.py::test_mmd_equals_a_double_loop_and_the_permutation_test_works', 'tests/deploy/test_monitor.py::test_two_proportion_z_is_the_uncorrected_chi_square', 'tests/deploy/test_monitor.py::test_sample_size_reaches_its_power_in_simulation', 'tests/deploy/test_monitor.py::test_bad_input_raises_clear_errors', 'tests/deploy/test_monitor.py::test_classifier_test_pvalue_is_the_binomial_tail_and_holds_its_level', 'tests/deploy/test_monitor.py::test_cusum_equals_a_loop_and_its_run_lengths_match_siegmund', 'tests/deploy/test_monitor.py::test_canary_rolls_back_a_worse_model_and_rarely_a_good_one', 'tests/deploy/test_monitor.py::test_group_sequential_bounds_spend_alpha_as_planned[obrien_fleming]', 'tests/deploy/test_monitor.py::test_hosmer_lemeshow_equals_a_loop_over_sorted_groups', 'tests/deploy/test_monitor.py::test_calibration_drift_pvalue_is_the_chi2_law_and_holds_its_level', 'tests/deploy/test_monitor.py::test_calibration_drift_detects_a_miscalibrated_model_with_the_predicted_power'),
    ),
    "P.sys.1": (
        ('jaxml.experiments.fraud_system:run', 'jaxml.data.transactions:make_transaction_stream', 'jaxml.data.transactions:transaction_log_odds', 'jaxml.deploy.serve:serve_in_thread', 'jaxml.deploy.serve:wait_until_ready', 'jaxml.deploy.serve:free_port'),
        ('tests/experiments/test_fraud_system.py::test_fraud_system_quick_run_end_to_end', 'tests/experiments/test_fraud_system.py::test_alert_quality_equals_sklearn', 'tests/experiments/test_fraud_system.py::test_failing_feature_service_passes_warm_up_and_fails_at_its_rate', 'tests/data/test_transactions.py::test_log_odds_equal_scipy', 'tests/data/test_transactions.py::test_log_odds_are_calibrated', 'tests/data/test_transactions.py::test_shapes_rate_and_regime', 'tests/data/test_transactions.py::test_bad_arguments_are_named'),
    ),
    "P.adv.1": (
        ('jaxml.trust.adversarial:fgsm', 'jaxml.trust.adversarial:pgd', 'jaxml.trust.adversarial:carlini_wagner_l2', 'jaxml.trust.adversarial:madry_loss', 'jaxml.trust.adversarial:trades_loss', 'jaxml.trust.adversarial:clopper_pearson_lower', 'jaxml.trust.adversarial:smoothed_certify', 'jaxml.trust.adversarial:interval_bounds', 'jaxml.trust.adversarial:ibp_verified', 'jaxml.trust.adversarial:ibp_loss', 'jaxml.trust.adversarial:robust_accuracy', 'jaxml.train.objective:minimize', 'jaxml.experiments.trust_tour:run'),
        ('tests/trust/test_adversarial.py::test_bad_input_raises_clear_errors', 'tests/trust/test_adversarial.py::test_carlini_wagner_finds_the_minimal_distance_of_a_binary_linear_model', 'tests/trust/test_adversarial.py::test_clopper_pearson_lower_equals_the_beta_quantile', 'tests/trust/test_adversarial.py::test_fgsm_on_a_linear_model_is_the_closed_form', 'tests/trust/test_adversarial.py::test_ibp_bounds_contain_sampled_outputs_and_are_exact_for_one_layer', 'tests/trust/test_adversarial.py::test_ibp_verified_points_resist_pgd', 'tests/trust/test_adversarial.py::test_pgd_stays_in_the_ball_and_box_and_beats_fgsm', 'tests/trust/test_adversarial.py::test_smoothing_certificate_is_below_the_exact_radius_and_never_broken', 'tests/trust/test_adversarial.py::test_training_losses_and_robust_accuracy', 'tests/experiments/test_trust_tour.py::test_trust_tour_robust_section_is_sound', 'tests/train/test_objective.py::test_minimize_equals_a_hand_loop_with_the_same_keys_and_order'),
    ),
    "P.xai.1": (
        ('jaxml.trust.explain:coalition_values', 'jaxml.trust.explain:exact_shapley', 'jaxml.trust.explain:permutation_shapley', 'jaxml.trust.explain:kernel_shap', 'jaxml.trust.explain:lime_tabular', 'jaxml.trust.explain:lime_signal', 'jaxml.trust.explain:counterfactual', 'jaxml.trust.treeshap:tree_shap', 'jaxml.trust.treeshap:tree_expected_value'),
        ('tests/trust/test_explain.py::test_bad_input_raises_clear_errors', 'tests/trust/test_explain.py::test_counterfactual_flips_a_logistic_model_sparsely', 'tests/trust/test_explain.py::test_exact_shapley_axioms_and_linear_closed_form', 'tests/trust/test_explain.py::test_exact_shapley_equals_shap_exact_and_linear_explainers', 'tests/trust/test_explain.py::test_kernel_and_permutation_shap_converge_to_exact', 'tests/trust/test_explain.py::test_lime_recovers_linear_coefficients', 'tests/trust/test_treeshap.py::test_tree_shap_equals_brute_force_enumeration_and_is_efficient', 'tests/trust/test_treeshap.py::test_tree_shap_equals_shap_tree_explainer_on_the_same_sklearn_trees', 'tests/trust/test_treeshap.py::test_forest_values_are_the_mean_of_its_trees_and_efficient'),
    ),
    "P.priv.1": (
        ('jaxml.trust.accountant:rdp_subsampled_gaussian', 'jaxml.trust.accountant:rdp_to_epsilon', 'jaxml.trust.accountant:rdp_to_delta', 'jaxml.trust.accountant:epochs_to_steps', 'jaxml.trust.accountant:pld_subsampled_gaussian', 'jaxml.trust.accountant:compose', 'jaxml.trust.accountant:pld_delta', 'jaxml.trust.accountant:pld_epsilon', 'jaxml.trust.accountant:Accountant', 'jaxml.trust.accountant:calibrate_sigma', 'jaxml.trust.privacy:per_example_grads', 'jaxml.trust.privacy:clip_per_example', 'jaxml.trust.privacy:poisson_batch', 'jaxml.trust.privacy:capacity_overflow_probability', 'jaxml.trust.privacy:private_gradient', 'jaxml.trust.privacy:ghost_norms', 'jaxml.trust.privacy:ghost_clipped_sum', 'jaxml.trust.privacy:make_dp_sgd', 'jaxml.trust.privacy:loss_threshold_auc', 'jaxml.trust.privacy:shadow_model_attack', 'jaxml.trust.privacy:attack_auc', 'jaxml.trust.federated:iid_split', 'jaxml.trust.federated:quantity_skew_split', 'jaxml.trust.federated:dirichlet_split', 'jaxml.trust.federated:make_federated_train', 'jaxml.trust.federated:secure_aggregation_masks', 'jaxml.trust.federated:secure_sum', 'jaxml.experiments.trust_tour:run'),
        ('tests/experiments/test_trust_tour.py::test_trust_tour_accountant_curves_rise_and_order', 'tests/experiments/test_trust_tour.py::test_trust_tour_quick_run_end_to_end', 'tests/trust/test_accountant.py::test_bad_input_raises_clear_errors', 'tests/trust/test_accountant.py::test_calibrated_sigma_reaches_the_target', 'tests/trust/test_accountant.py::test_composition_adds_rdp_and_history_composes', 'tests/trust/test_accountant.py::test_conversions_are_inverse_and_tight_beats_classic', 'tests/trust/test_accountant.py::test_fractional_series_is_continuous_at_an_integer_order', 'tests/trust/test_accountant.py::test_full_batch_is_the_gaussian_mechanism', 'tests/trust/test_accountant.py::test_mnist_steps_follow_the_ceil_rule', 'tests/trust/test_accountant.py::test_one_step_pld_dominates_and_matches_the_exact_hockey_stick', 'tests/trust/test_accountant.py::test_pld_delta_and_epsilon_are_inverse', 'tests/trust/test_accountant.py::test_pld_of_the_gaussian_mechanism_is_analytic', 'tests/trust/test_accountant.py::test_published_reference_epsilons', 'tests/trust/test_accountant.py::test_rdp_equals_numerical_integration', 'tests/trust/test_accountant.py::test_rdp_is_monotone', 'tests/trust/test_accountant.py::test_state_saves_and_restores', 'tests/trust/test_federated.py::test_dirichlet_split_partitions_and_skew_grows_as_alpha_falls', 'tests/trust/test_federated.py::test_dp_fedavg_clips_and_adds_noise_of_the_stated_scale', 'tests/trust/test_federated.py::test_fedavg_iid_matches_centralised_accuracy', 'tests/trust/test_federated.py::test_fedavg_one_client_full_batch_is_centralised_sgd', 'tests/trust/test_federated.py::test_fedprox_large_mu_stays_near_global', 'tests/trust/test_federated.py::test_fedprox_local_steps_match_proximal_gradient_oracle', 'tests/trust/test_federated.py::test_iid_and_quantity_skew_splits_are_partitions', 'tests/trust/test_federated.py::test_invalid_arguments', 'tests/trust/test_federated.py::test_secure_aggregation_masks_cancel_exactly', 'tests/trust/test_federated.py::test_secure_sum_equals_true_sum_exactly', 'tests/trust/test_privacy.py::test_bad_input_raises_clear_errors', 'tests/trust/test_privacy.py::test_dp_step_with_ghost_norms_equals_the_default', 'tests/trust/test_privacy.py::test_ghost_norms_equal_stored_per_example_gradient_norms', 'tests/trust/test_privacy.py::test_ghost_norms_reject_a_shared_dense_layer', 'tests/trust/test_privacy.py::test_loss_threshold_auc_equals_pairwise_count', 'tests/trust/test_privacy.py::test_membership_inference_detects_overfitting_and_dp_hides_it', 'tests/trust/test_privacy.py::test_no_noise_no_clipping_full_batch_is_plain_gradient_descent', 'tests/trust/test_privacy.py::test_noise_has_the_stated_scale', 'tests/trust/test_privacy.py::test_per_example_grads_equal_a_loop_and_clipping_bounds_norms', 'tests/trust/test_privacy.py::test_poisson_sampling_includes_each_example_with_rate_q'),
    ),
    "T.mf.1": (
        ('jaxml.theory.mean_field:make_apply', 'jaxml.theory.mean_field:learning_rate', 'jaxml.theory.mean_field:train', 'jaxml.theory.mean_field:width_sweep', 'jaxml.theory.mean_field:weight_change', 'jaxml.math.transport:wasserstein_1d', 'jaxml.math.transport:sliced_wasserstein', 'jaxml.experiments.mean_field:run'),
        ('tests/theory/test_mean_field.py::test_mean_field_with_sqrt_n_output_weights_is_the_ntk_net', 'tests/theory/test_mean_field.py::test_first_step_function_change_is_width_independent', 'tests/theory/test_mean_field.py::test_train_matches_hand_derived_gradient_descent', 'tests/theory/test_mean_field.py::test_width_sweep_equals_per_seed_training', 'tests/theory/test_mean_field.py::test_w2_1d_equal_sizes_matches_assignment', 'tests/theory/test_mean_field.py::test_sliced_w2_properties', 'tests/theory/test_mean_field.py::test_bad_input_raises', 'tests/experiments/test_mean_field.py::test_mean_field_quick_run_end_to_end'),
    ),
    "D.core.1": (
        ('jaxml.nn.backprop:init_mlp', 'jaxml.nn.backprop:mlp_forward', 'jaxml.nn.backprop:mlp_backward',
         'jaxml.nn.backprop:mlp_loss_and_grads'),
        ('tests/nn/test_backprop.py::test_hand_backprop_equals_jax_grad_in_float64[0.0-tanh]',
         'tests/nn/test_backprop.py::test_hand_backprop_equals_jax_grad_in_float64[0.2-relu]',
         'tests/nn/test_backprop.py::test_backward_of_any_upstream_gradient_is_the_vector_jacobian_product',
         'tests/nn/test_backprop.py::test_bad_input_is_refused'),
    ),
    "D.core.2": (
        ('jaxml.nn.init:glorot_normal', 'jaxml.nn.init:glorot_uniform', 'jaxml.nn.init:he_normal',
         'jaxml.nn.init:he_uniform', 'jaxml.nn.init:lecun_normal', 'jaxml.nn.init:naive_normal',
         'jaxml.nn.init:orthogonal', 'jaxml.nn.init:fans', 'jaxml.nn.init:activation_std_per_layer'),
        ('tests/nn/test_init.py::test_samples_follow_the_formula[glorot_normal]',
         'tests/nn/test_init.py::test_samples_follow_the_formula[he_uniform]',
         'tests/nn/test_init.py::test_orthogonal_is_haar_distributed',
         'tests/nn/test_init.py::test_relu_variance_propagation_follows_the_theory',
         'tests/nn/test_init.py::test_orthogonal_linear_layers_preserve_norms_exactly_and_naive_tanh_saturates',
         'tests/nn/test_backprop.py::test_constant_init_keeps_hidden_units_identical_random_init_breaks_the_symmetry'),
    ),
    "D.core.3": (
        ('jaxml.nn.activations:get_activation', 'jaxml.nn.losses:softmax_cross_entropy',
         'jaxml.nn.losses:sigmoid_focal_loss', 'jaxml.nn.losses:softmax_focal_loss', 'jaxml.nn.losses:huber_loss',
         'jaxml.nn.losses:hinge_loss', 'jaxml.nn.losses:multiclass_hinge_loss', 'jaxml.nn.losses:contrastive_loss',
         'jaxml.nn.losses:triplet_margin_loss', 'jaxml.nn.losses:kl_divergence'),
        ('tests/nn/test_activations.py::test_activation_and_its_closed_form_derivative[gelu]',
         'tests/nn/test_losses.py::test_cross_entropy_with_label_smoothing_equals_optax_and_the_formula[0.1]',
         'tests/nn/test_losses.py::test_sigmoid_focal_loss_equals_optax[2.0-0.25]',
         'tests/nn/test_losses.py::test_hinge_losses_equal_optax_and_crammer_singer_by_loop',
         'tests/nn/test_losses.py::test_contrastive_and_triplet_losses_equal_their_formulas',
         'tests/nn/test_losses.py::test_kl_divergence_equals_scipy_and_handles_zero_probabilities',
         'tests/nn/test_losses.py::test_bad_input_names_the_argument'),
    ),
    "D.cnn.1": (
        ('jaxml.nn.conv:conv_output_size', 'jaxml.nn.conv:conv_transpose_output_size', 'jaxml.nn.conv:conv_direct',
         'jaxml.nn.conv:conv_transpose_direct'),
        ('tests/nn/test_conv.py::test_direct_convolution_equals_xla[spatial2-window2-4-6-stride2-padding2-dilation2-2]',
         'tests/nn/test_conv.py::test_direct_convolution_equals_xla[spatial3-window3-6-6-3-2-1-6]',
         'tests/nn/test_conv.py::test_transposed_convolution_is_the_adjoint[spatial2-window2-4-6-stride2-padding2-dilation2-2]',
         'tests/nn/test_conv.py::test_output_sizes_equal_the_shapes_xla_produces[32-3-1-2-2]',
         'tests/nn/test_conv.py::test_bad_input_gets_clear_errors'),
    ),
    "D.core.5": (
        ('jaxml.train.optim:sgd', 'jaxml.train.optim:rmsprop', 'jaxml.train.optim:adam',
         'jaxml.train.optim:warmup_cosine_schedule', 'jaxml.train.optim:step_decay_schedule',
         'jaxml.train.optim:one_cycle_schedule', 'jaxml.train.optim:clip_by_global_norm',
         'jaxml.train:fit'),
        ('tests/train/test_optim.py::test_optimisers_equal_optax_step_by_step[nesterov]',
         'tests/train/test_optim.py::test_optimisers_equal_optax_step_by_step[adamw]',
         'tests/train/test_optim.py::test_optimisers_equal_optax_step_by_step[adam_scheduled]',
         'tests/train/test_optim.py::test_schedules_equal_optax',
         'tests/train/test_optim.py::test_clipping_equals_optax_and_keeps_the_direction',
         'tests/train/test_optim.py::test_bad_hyperparameters_name_the_argument',
         'tests/train/test_loop.py::test_gradient_accumulation_equals_the_large_batch_and_optax_multisteps'),
    ),
    "D.core.6": (
        ('jaxml.nn.remat:DeepResidualMLP', 'jaxml.nn.remat:train_step_memory'),
        ('tests/nn/test_remat.py::test_checkpointing_cuts_the_compiled_steps_scratch_memory_at_least_threefold',
         'tests/nn/test_remat.py::test_checkpointed_gradients_are_the_same'),
    ),
    "D.core.4": (
        ('jaxml.nn.norms:BatchNorm', 'jaxml.nn.norms:LayerNorm', 'jaxml.nn.norms:Dropout',
         'jaxml.nn.norms:early_stopping', 'jaxml.train.optim:adam'),
        ('tests/nn/test_norms.py::test_batchnorm_equals_flax_in_training_and_evaluation[conv]',
         'tests/nn/test_norms.py::test_batchnorm_formula_and_eval_independent_of_the_batch',
         'tests/nn/test_norms.py::test_layernorm_equals_flax_and_the_formula',
         'tests/nn/test_norms.py::test_dropout_equals_flax_keeps_the_mean_and_is_off_in_evaluation',
         'tests/nn/test_norms.py::test_early_stopping_equals_the_loop_and_vmaps_over_seeds[5-0.02]',
         'tests/nn/test_norms.py::test_bad_settings_are_refused',
         'tests/train/test_optim.py::test_coupled_and_decoupled_decay_agree_under_sgd_and_differ_under_adam'),
    ),
    "D.int.1": (
        ('jaxml.nn.attribution:saliency', 'jaxml.nn.attribution:gradient_times_input',
         'jaxml.nn.attribution:smoothgrad', 'jaxml.nn.attribution:integrated_gradients'),
        ('tests/nn/test_attribution.py::test_saliency_equals_the_analytic_gradient',
         'tests/nn/test_attribution.py::test_integrated_gradients_closed_forms',
         'tests/nn/test_attribution.py::test_integrated_gradients_completeness_within_one_percent_on_an_mlp',
         'tests/nn/test_attribution.py::test_smoothgrad_of_a_sine_is_the_damped_cosine',
         'tests/nn/test_attribution.py::test_bad_input'),
    ),
    "D.gnn.1": (
        ('jaxml.nn.gnn:GCNConv', 'jaxml.nn.gnn:SAGEConv', 'jaxml.nn.gnn:GATConv', 'jaxml.nn.gnn:MessagePassing',
         'jaxml.nn.gnn:global_pool', 'jaxml.nn.gnn:TopKPool', 'jaxml.nn.gnn:sample_neighbours',
         'jaxml.nn.gnn:GNNClassifier', 'jaxml.data.graphs:make_graph', 'jaxml.data.graphs:pad_graph',
         'jaxml.data.graphs:batch_graphs', 'jaxml.data.graphs:karate_club',
         'jaxml.data.graphs:stochastic_block_model', 'jaxml.data.graphs:molecule_graphs'),
        ('tests/nn/test_gnn.py::test_gcn_equals_the_dense_normalised_adjacency',
         'tests/nn/test_gnn.py::test_sage_equals_the_dense_formula[mean]',
         'tests/nn/test_gnn.py::test_gat_equals_the_dense_masked_softmax[True]',
         'tests/nn/test_gnn.py::test_padding_changes_nothing[gat]',
         'tests/nn/test_gnn.py::test_topk_pool_keeps_the_best_nodes_of_each_graph',
         'tests/nn/test_gnn.py::test_neighbour_sampling_draws_real_in_neighbours_uniformly',
         'tests/nn/test_gnn.py::test_karate_club_data_equals_networkx',
         'tests/nn/test_gnn.py::test_gcn_separates_the_karate_clubs_from_four_labels',
         'tests/nn/test_gnn.py::test_sbm_node_classification_and_molecule_graph_classification',
         'tests/nn/test_gnn.py::test_bad_graphs_are_refused'),
    ),
    "D.cnn.2": (
        ('jaxml.nn.cnn:LeNet5', 'jaxml.nn.cnn:AlexNet', 'jaxml.nn.cnn:VGG', 'jaxml.nn.cnn:ResNet',
         'jaxml.nn.cnn:BasicBlock', 'jaxml.nn.cnn:Bottleneck', 'jaxml.nn.cnn:resnet18', 'jaxml.nn.cnn:resnet50',
         'jaxml.nn.cnn:DenseNet', 'jaxml.nn.cnn:EfficientNet', 'jaxml.nn.cnn:MBConv',
         'jaxml.nn.cnn:efficientnet_resolution', 'jaxml.nn.cnn:adaptive_avg_pool'),
        ('tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[resnet50]',
         'tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[densenet121]',
         'tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[efficientnet_b0]',
         'tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[alexnet]',
         'tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[vgg16]',
         'tests/nn/test_cnn.py::test_one_jitted_training_step_lowers_the_loss[resnet]',
         'tests/nn/test_cnn.py::test_lenet5_reaches_95_percent_on_digits',
         'tests/nn/test_cnn.py::test_adaptive_pool_equals_bins_by_hand_and_global_mean',
         'tests/nn/test_cnn.py::test_compound_scaling_and_bad_input'),
    ),
    "D.cnn.3": (
        ('jaxml.nn.cnn:SqueezeExcite', 'jaxml.nn.cnn:CBAM', 'jaxml.nn.vit:ViT'),
        ('tests/nn/test_cnn.py::test_squeeze_excite_and_cbam_equal_their_formulas',
         'tests/nn/test_cnn.py::test_parameter_counts_equal_the_published_architectures[vit_b16]',
         'tests/nn/test_cnn.py::test_one_jitted_training_step_lowers_the_loss[preact_resnet_se]'),
    ),
    "D.cnn.4": (
        ('jaxml.nn.unet:UNet', 'jaxml.nn.yolo:YOLO', 'jaxml.nn.yolo:encode_targets', 'jaxml.nn.yolo:yolo_loss',
         'jaxml.nn.yolo:decode', 'jaxml.nn.yolo:train_yolo', 'jaxml.nn.detection:box_iou',
         'jaxml.nn.detection:non_max_suppression', 'jaxml.nn.detection:average_precision',
         'jaxml.nn.detection:mean_iou', 'jaxml.data.shapes:make_shapes'),
        ('tests/nn/test_unet.py::test_unet_shapes_the_paper_count_and_a_training_step',
         'tests/nn/test_yolo.py::test_encoding_then_decoding_recovers_the_boxes',
         'tests/nn/test_yolo.py::test_assignment_picks_the_centre_cell_and_best_anchor',
         'tests/nn/test_yolo.py::test_loss_is_small_at_perfect_predictions_and_training_lowers_it',
         'tests/nn/test_detection.py::test_nms_equals_the_greedy_loop[0.5]',
         'tests/nn/test_detection.py::test_average_precision_hand_worked',
         'tests/nn/test_detection.py::test_mean_iou_equals_sklearn_jaccard',
         'tests/data/test_shapes.py::test_masks_carry_the_label_and_boxes_are_tight'),
    ),
}

ENTRIES: tuple[Entry, ...] = tuple(
    Entry(id_, title, *_IMPLEMENTED.get(id_, ((), ())))
    for id_, title in _TITLES.items()
)


def coverage() -> tuple[int, int]:
    """(verified, total)."""
    return sum(e.status == "verified" for e in ENTRIES), len(ENTRIES)
