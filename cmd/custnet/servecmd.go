package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/server"
)

// tokenEnv names the environment variable holding the operator token.
const tokenEnv = "CUSTNET_TOKEN"

func (a *app) serveCmd() *cobra.Command {
	var (
		store, addr, model, train, tokenFile string
		warm                                 int
		opt                                  server.Options
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve recommendations, scores, exports, consent and event ingest over HTTP",
		Long: `Serve opens the store for writing and answers HTTP/JSON requests until
interrupted (Ctrl-C or SIGTERM), then stops accepting connections, lets the
requests in flight finish (up to --shutdown-timeout) and exits. An event
batch answered 200 is committed to the store.

The operator token comes from $` + tokenEnv + ` or --token-file (never from a flag
value, which other users could read in the process list); serve refuses to
start without one. The operator mints per-customer tokens with
POST /v1/customers/{id}/token; a customer token reads and changes only that
customer's data.

Routes: GET /v1/customers/{id}/recommendations?n=10, GET .../scores,
GET .../export, POST .../consents, POST .../token, POST /v1/events,
GET /metrics (Prometheus; operator token), GET /healthz (no token). Bodies:
  POST .../consents  {"purpose":"personalization","granted":false}
  POST /v1/events    {"events":[{"customer_id":"42","action":"view","item_id":"i7","at":"2024-06-30T12:00:00Z"}]}
(event fields as in the events format: customer_id and action required; at,
channel, item_id, peer_id, value optional).

The model is loaded from --model FILE (custnet train) or trained at start
with --train NAME (default knn-baseline); a store without ratings serves
everything but recommendations. Before listening, serve computes the top-N
lists (N = --warm, default 10; 0 for none) of the customers with a
personalization consent, as many as its cache holds, so that the first
requests are as fast as later ones; a list is reused until another model is
served, while consent is checked on every request. --addr binds 127.0.0.1
unless a host is given.`,
		Example: `  CUSTNET_TOKEN=$(openssl rand -hex 32) custnet serve --store shop.duckdb --model model.cnm
  custnet serve --store shop.duckdb --addr 127.0.0.1:9000 --train knn-baseline --token-file /run/secrets/custnet
  curl -H "Authorization: Bearer $CUSTNET_TOKEN" 'http://127.0.0.1:8080/v1/customers/42/recommendations?n=5'
  curl -H "Authorization: Bearer $CUSTNET_TOKEN" -d '{"purpose":"personalization","granted":false}' http://127.0.0.1:8080/v1/customers/42/consents`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model != "" && cmd.Flags().Changed("train") {
				return usageError{errors.New("give either --model FILE or --train NAME, not both")}
			}
			token, err := a.operatorToken(tokenFile)
			if err != nil {
				return usageError{err}
			}
			opt.OperatorToken = token
			opt.Logger = a.log
			ctx := cmd.Context()
			e, err := a.openStore(ctx, store)
			if err != nil {
				return err
			}
			defer e.Close()
			switch {
			case model != "":
				if err := e.LoadModel(ctx, model); err != nil {
					return err
				}
			case train != "":
				_, err := e.Train(ctx, engine.TrainOptions{Model: train})
				if engine.KindOf(err) == engine.KindNotFound {
					a.log.Warn("serving without recommendations: nothing to train on", "err", err)
				} else if err != nil {
					return err
				}
			}
			if warm > 0 {
				start := time.Now()
				k, err := e.WarmRecommendations(ctx, warm)
				switch {
				case engine.KindOf(err) == engine.KindNotFound: // no model
				case err != nil:
					return err
				default:
					a.log.Info("warmed recommendations", "customers", k, "n", warm, "seconds", time.Since(start).Seconds())
				}
			}
			srv, err := server.New(e, opt)
			if err != nil {
				return usageError{err}
			}
			return srv.ListenAndServe(ctx, addr)
		},
	}
	storeFlag(cmd, &store)
	f := cmd.Flags()
	f.StringVar(&addr, "addr", server.DefaultAddr, "host:port to listen on (no host: 127.0.0.1)")
	f.StringVar(&model, "model", "", "model file from custnet train")
	f.StringVar(&train, "train", "knn-baseline", "model to train at start when --model is not given (\"\" for none)")
	f.StringVar(&tokenFile, "token-file", "", "file holding the operator token (default: $"+tokenEnv+")")
	f.IntVar(&warm, "warm", 10, "before listening, compute the top-N lists of consented customers for this N (0: none)")
	f.Int64Var(&opt.MaxBodyBytes, "max-body", 8<<20, "largest request body in bytes")
	f.IntVar(&opt.MaxConcurrentIngests, "max-ingests", 16, "event batches decoded and stored at once (as many more may queue; beyond that 503)")
	f.DurationVar(&opt.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	return cmd
}

// operatorToken reads the operator token from --token-file, else from
// $CUSTNET_TOKEN.
func (a *app) operatorToken(file string) (string, error) {
	if file != "" {
		st, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			a.log.Warn("the token file is readable by other users; chmod 600 it", "file", file, "mode", st.Mode().Perm().String())
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("--token-file %s is empty", file)
		}
		return checkToken(tok, "--token-file "+file)
	}
	if tok := strings.TrimSpace(os.Getenv(tokenEnv)); tok != "" {
		return checkToken(tok, "$"+tokenEnv)
	}
	return "", fmt.Errorf("no operator token: set $%s, e.g. export %s=$(openssl rand -hex 32), or give --token-file FILE (serve never starts without one)", tokenEnv, tokenEnv)
}

// checkToken refuses tokens the server would refuse, before the store is
// opened and a model trained.
func checkToken(tok, from string) (string, error) {
	if len(tok) < 16 {
		return "", fmt.Errorf("%s: the operator token is shorter than 16 bytes (try: openssl rand -hex 32)", from)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("%s: the operator token contains white space", from)
	}
	return tok, nil
}
