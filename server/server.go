package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custnet/custnet/engine"
)

// DefaultAddr is where [Server.ListenAndServe] listens when addr is "":
// loopback only.
const DefaultAddr = "127.0.0.1:8080"

// Options configure [New]. Every field but OperatorToken has a usable zero
// value.
type Options struct {
	// OperatorToken is the bearer token with full access, at least 16
	// bytes. Required unless InsecureNoAuth is set.
	OperatorToken string
	// CustomerKey is the HMAC-SHA256 key of customer tokens. Zero: a key
	// derived from OperatorToken, so customer tokens survive restarts and
	// changing the operator token invalidates all of them.
	CustomerKey []byte
	// InsecureNoAuth turns authentication off: every request acts as the
	// operator. For tests on loopback only. Zero: tokens are required.
	InsecureNoAuth bool
	// MaxBodyBytes bounds a request body; larger bodies get 413. Zero: 8 MiB.
	MaxBodyBytes int64
	// ReadTimeout bounds reading a whole request, body included. Zero: 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end
	// of the response, ingest included. Zero: 2m.
	WriteTimeout time.Duration
	// ShutdownTimeout is how long a graceful shutdown waits for requests in
	// flight before cancelling them (a cancelled ingest stores nothing and
	// is not acknowledged). Zero: 30s.
	ShutdownTimeout time.Duration
	// MaxConcurrentIngests bounds the POST /v1/events requests being
	// decoded and stored at once (the engine commits concurrent batches
	// together, see [engine.Engine.Append]). As many more may wait for a
	// slot; beyond that a batch is refused at once with 503 and
	// Retry-After, so the backlog stays bounded. Zero: 16.
	MaxConcurrentIngests int
	// MaxRecommendations bounds the n parameter of recommendations.
	// Zero: 1000.
	MaxRecommendations int
	// Logger receives request errors and lifecycle logs. Nil: discarded.
	Logger *slog.Logger
}

// Server serves one engine over HTTP. It is safe for concurrent use.
type Server struct {
	e       *engine.Engine
	opt     Options
	log     *slog.Logger
	key     []byte
	ingests chan struct{} // one token per event batch being stored
	// ingestWaiting counts event batches waiting for a slot in ingests.
	ingestWaiting atomic.Int64
	metrics       *metrics
	handler       http.Handler

	draining atomic.Bool // /healthz reports 503 while shutting down
}

// New returns a server for e. It fails when the options are inconsistent,
// e.g. no operator token.
func New(e *engine.Engine, opt Options) (*Server, error) {
	if e == nil {
		return nil, errors.New("server: nil engine")
	}
	if !opt.InsecureNoAuth {
		if opt.OperatorToken == "" {
			return nil, errors.New("server: no operator token")
		}
		if len(opt.OperatorToken) < 16 {
			return nil, errors.New("server: the operator token is shorter than 16 bytes")
		}
		if strings.ContainsAny(opt.OperatorToken, " \t\r\n") {
			return nil, errors.New("server: the operator token contains white space")
		}
	}
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 8 << 20
	}
	if opt.ReadTimeout <= 0 {
		opt.ReadTimeout = 30 * time.Second
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 2 * time.Minute
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 30 * time.Second
	}
	if opt.MaxConcurrentIngests <= 0 {
		opt.MaxConcurrentIngests = 16
	}
	if opt.MaxRecommendations <= 0 {
		opt.MaxRecommendations = 1000
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key := opt.CustomerKey
	if len(key) == 0 {
		sum := sha256.Sum256([]byte("custnet customer tokens v1\x00" + opt.OperatorToken))
		key = sum[:]
	}
	s := &Server{
		e:       e,
		opt:     opt,
		log:     log,
		key:     key,
		ingests: make(chan struct{}, opt.MaxConcurrentIngests),
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the HTTP handler of every route, for tests or for
// mounting under another server. Requests it serves count towards graceful
// shutdown only through [Server.Serve] and [Server.ListenAndServe].
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe listens on addr (host:port; "" means [DefaultAddr], and an
// empty host means 127.0.0.1, not every interface: give 0.0.0.0:port for
// that) and serves until ctx is done, then shuts down gracefully; see
// [Server.Serve].
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", ResolveAddr(addr))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// ResolveAddr applies the defaults of [Server.ListenAndServe] to addr.
func ResolveAddr(addr string) string {
	if addr == "" {
		return DefaultAddr
	}
	if strings.HasPrefix(addr, ":") {
		return "127.0.0.1" + addr
	}
	return addr
}

// Serve serves on ln until ctx is done or ln fails. When ctx is done it
// stops accepting connections, lets requests in flight finish (up to
// [Options.ShutdownTimeout]; after that they are cancelled, and a cancelled
// event batch is rolled back and not acknowledged), and returns nil once
// every handler has returned, so the engine may then be closed. An event
// batch answered with 200 is committed to the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	tr := newTracker()
	srv := &http.Server{
		Handler:           tr.wrap(s.handler),
		ReadTimeout:       s.opt.ReadTimeout,
		ReadHeaderTimeout: min(s.opt.ReadTimeout, 10*time.Second),
		WriteTimeout:      s.opt.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		// Requests must outlive ctx: shutdown drains them instead.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down", "timeout", s.opt.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opt.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		// Too slow: close connections, which cancels the requests' contexts,
		// and wait for their handlers so the engine is no longer in use.
		srv.Close()
		err = fmt.Errorf("shutdown: requests still in flight after %s were cancelled: %w", s.opt.ShutdownTimeout, err)
	}
	tr.closeAndWait()
	<-errc
	s.log.Info("stopped")
	return err
}

// tracker counts handlers in flight so that Serve returns only after all
// of them, and refuses requests that slip in after a forced shutdown.
type tracker struct {
	mu       sync.Mutex
	idle     sync.Cond // signalled when inflight drops to 0
	inflight int
	closed   bool
}

func newTracker() *tracker {
	t := &tracker{}
	t.idle.L = &t.mu
	return t
}

func (t *tracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusServiceUnavailable, "the server is shutting down", "unavailable")
			return
		}
		t.inflight++
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			t.inflight--
			if t.inflight == 0 {
				t.idle.Broadcast()
			}
			t.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

func (t *tracker) closeAndWait() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for t.inflight > 0 {
		t.idle.Wait()
	}
}
