// Package customize is custnet's recommendation core: it turns a compact
// customer × item ratings matrix into rating predictions and top-N lists.
//
// Data enters through a [Builder], which interns string customer and item
// ids into dense int32 indices and produces a [Matrix] holding the ratings
// both by customer (CSR) and by item (CSC). For data already indexed by
// integers at scale (Netflix-Prize size, 100M ratings), a [COO] builds the
// same Matrix with no maps and decimal ids made on demand. The package never
// touches the database: the engine feeds the builder from Arrow batches.
//
// Every model is fitted by an [Algorithm] (an options struct with documented
// zero values) and satisfies [Model]; rating models also satisfy [Predictor]:
//
//	baseline      global mean + regularised biases by ALS ([BaselineOptions])
//	knn-baseline  item–item kNN around baselines, Pearson-baseline similarity ([KNNOptions])
//	knn-user      the user–user variant ([KNNOptions] with UserBased)
//	svd           biased matrix factorisation by SGD ([SVDOptions])
//	svdpp         SVD++ with implicit feedback ([SVDOptions] with Implicit)
//	als-implicit  implicit-feedback ALS with conjugate-gradient solves ([ALSOptions])
//	ease          EASE^R closed-form item–item autoencoder ([EASEOptions])
//	blend         ridge-regression blend of rating models ([BlendOptions])
//	popularity    most-interacted items first ([PopularityOptions])
//
// A fitted model is safe for concurrent use by multiple goroutines; TopN
// and Predict take their scratch memory from a per-model sync.Pool, so a
// call allocates only its result. [Save] and [Load] write and read a model
// as a checksummed "CNM1" file.
//
// Hot loops run over contiguous int32/float32 slices; on amd64 with AVX2
// and FMA the factor-model kernels (dot product, SGD step) use assembly
// (simd_amd64.s), and so does the scoring of the factor models' top-N lists
// (factor_amd64.s: AVX2, or AVX-512 where present); elsewhere or with the
// purego build tag they are pure Go. [TopNAll] ranks many customers at once,
// scoring blocks of customers against cache-sized tiles of items for the
// factor models and skipping, exactly, the items a norm bound rules out.
//
// The evaluation half of the package ([KFold], [Holdout], [Builder.AddTest],
// [Evaluate]) runs the same folds for every model and reports RMSE, MAE and
// top-N metrics (precision, recall, NDCG and MAP at N, catalogue coverage and
// back-catalogue share) in a [Result] with stable JSON field names.
//
// Example:
//
//	b := customize.NewBuilder()
//	b.Add("alice", "matrix", 5)
//	b.Add("alice", "heat", 3)
//	b.Add("bob", "matrix", 4)
//	m, _ := b.Build()
//	model, err := customize.Fit(ctx, m, customize.DefaultSVD())
//	if err != nil { ... }
//	u, _ := m.CustomerIndex("bob")
//	recs := model.TopN(u, 10, true)
package customize
