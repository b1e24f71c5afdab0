package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
)

// Options configure [Open]. The zero value opens an in-memory store with
// DuckDB's defaults and a silent logger.
type Options struct {
	// Path of the DuckDB store file. "" or ":memory:" keeps the store in
	// memory (gone at Close). A missing file is created, unless MustExist
	// or ReadOnly.
	Path string
	// ReadOnly opens an existing store without write access; several
	// processes may then read it at once. Zero: read-write.
	ReadOnly bool
	// MustExist refuses a Path with no store file (a KindNotFound error)
	// instead of creating an empty store, for callers that analyse data
	// already ingested; ReadOnly implies it. It does not apply to a store
	// in memory.
	MustExist bool
	// Threads bounds DuckDB's worker threads. Zero: GOMAXPROCS.
	Threads int
	// MemoryLimit is DuckDB's memory_limit, e.g. "8GB". Zero: DuckDB's
	// default (80% of RAM). Above it DuckDB spills to TempDir.
	MemoryLimit string
	// TempDir is where DuckDB spills. Zero: DuckDB's default (beside the
	// store file).
	TempDir string
	// Logger receives structured logs. Nil: logs are discarded.
	Logger *slog.Logger
	// CommitInterval is the least time between the starts of two group
	// commits of [Engine.Append]: a batch arriving sooner after the last
	// commit waits for the rest of it, so that busy appenders share fewer,
	// larger transactions (DuckDB spends about a millisecond of CPU on
	// each small write transaction and statement, whatever its size). A
	// batch after a quiet spell commits at once; one caller appending in a
	// loop gets at most one batch per interval. Zero: 10ms; negative: no
	// wait.
	CommitInterval time.Duration
	// Progress, when set, receives progress of long steps. Nil: silent.
	// It is called from the goroutine doing the work and must be quick.
	Progress func(Progress)
}

// Progress reports how far a long step is. Total is -1 when unknown.
type Progress struct {
	Step  string // e.g. "ingest u.data", "pagerank"
	Done  int64
	Total int64
	Final bool // the step has finished
}

// Engine is an open custnet store. It is safe for concurrent use by
// multiple goroutines: DuckDB gives each statement a consistent snapshot, so
// readers see the state before or after a concurrent ingest, never half.
type Engine struct {
	db        *sql.DB
	connector *duckdb.Connector
	opts      Options
	log       *slog.Logger

	writeMu sync.Mutex // serialises write transactions inside this process

	served   atomic.Pointer[served] // the model Recommend uses; nil until Train or LoadModel
	consents consentCache           // latest ledger decisions, for Recommend and Append
	appends  appendQueue            // Append calls waiting for a group commit
}

// Open opens (creating if needed) the store described by opts, migrates its
// schema and returns the engine. It fails with [ErrLocked] when another
// process holds the file for writing and with [ErrNotAStore] when the file
// is not a custnet DuckDB store.
func Open(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Path == ":memory:" {
		opts.Path = ""
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	if opts.CommitInterval == 0 {
		opts.CommitInterval = 10 * time.Millisecond
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	op := "open store"
	if opts.Path != "" {
		op = "open store " + opts.Path
		if st, err := os.Stat(opts.Path); err == nil && st.IsDir() {
			return nil, errorf(KindNotAStore, op, "is a directory, not a DuckDB file")
		}
		if opts.ReadOnly || (opts.MustExist && opts.Path != ":memory:") {
			if _, err := os.Stat(opts.Path); err != nil {
				return nil, errorf(KindNotFound, op, "no such store")
			}
		} else if dir := filepath.Dir(opts.Path); !isDir(dir) {
			return nil, errorf(KindNotFound, op, "folder %s does not exist (custnet creates the store file, not its folder)", dir)
		}
	}
	dsn := opts.Path
	if opts.ReadOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	init := func(ex driver.ExecerContext) error {
		stmts := []string{"SET threads = " + strconv.Itoa(opts.Threads)}
		if opts.MemoryLimit != "" {
			stmts = append(stmts, "SET memory_limit = "+quote(opts.MemoryLimit))
		}
		if opts.TempDir != "" {
			stmts = append(stmts, "SET temp_directory = "+quote(opts.TempDir))
		}
		for _, s := range stmts {
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	}
	connector, err := duckdb.NewConnector(dsn, init)
	if err != nil {
		return nil, classifyOpen(op, err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxIdleConns(4 * opts.Threads) // DuckDB connections are cheap; keep them for concurrent readers
	e := &Engine{db: db, connector: connector, opts: opts, log: log}
	e.appends.turn = make(chan struct{}, 1)
	if err := e.migrate(ctx); err != nil {
		db.Close()
		return nil, classifyOpen(op, err)
	}
	log.Debug("store open", "path", opts.Path, "threads", opts.Threads)
	return e, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func classifyOpen(op string, err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return wrap(op, err)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not set lock"), strings.Contains(msg, "Conflicting lock"):
		return errorf(KindLocked, op, "the store is opened for writing by another process (%s)", firstLine(msg))
	case strings.Contains(msg, "not a valid DuckDB database"), strings.Contains(msg, "is not a DuckDB"),
		strings.Contains(msg, "Corrupt"), strings.Contains(msg, "magic bytes"):
		return errorf(KindNotAStore, op, "not a DuckDB database file (%s)", firstLine(msg))
	}
	return wrap(op, err)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// migrate creates or upgrades the schema. A DuckDB file that has tables but
// no custnet meta table is refused rather than written into.
func (e *Engine) migrate(ctx context.Context) error {
	var hasMeta, tables int
	err := e.db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE table_name = 'meta'), count(*)
		FROM information_schema.tables WHERE table_schema = 'main'`).Scan(&hasMeta, &tables)
	if err != nil {
		return err
	}
	if hasMeta == 0 && tables > 0 {
		return errorf(KindNotAStore, "", "a DuckDB database, but not a custnet store (it has %d tables and no custnet meta table)", tables)
	}
	if hasMeta == 1 {
		var v string
		err := e.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v)
		if err != nil {
			return errorf(KindNotAStore, "", "custnet meta table without a schema version: %v", err)
		}
		n, _ := strconv.Atoi(v)
		if n > datasets.SchemaVersion || n < 1 {
			return errorf(KindNotAStore, "", "store schema version %s is not supported by this custnet (knows %d)", v, datasets.SchemaVersion)
		}
		if e.opts.ReadOnly {
			return nil
		}
	} else if e.opts.ReadOnly {
		return errorf(KindNotAStore, "", "an empty DuckDB database, not a custnet store")
	}
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, ddl := range []string{datasets.SchemaSQL, derivedSchemaSQL} {
		if _, err := tx.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)`, strconv.Itoa(datasets.SchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close releases the store. Calls in flight must have returned.
func (e *Engine) Close() error {
	err := e.db.Close()
	if cerr := e.connector.Close(); err == nil {
		err = cerr
	}
	return err
}

// Path returns the store file path, "" for an in-memory store.
func (e *Engine) Path() string { return e.opts.Path }

func (e *Engine) progress(step string, done, total int64, final bool) {
	if e.opts.Progress != nil {
		e.opts.Progress(Progress{Step: step, Done: done, Total: total, Final: final})
	}
}

// conn runs f on one pinned connection, with the raw DuckDB connection
// available for the Arrow interface.
func (e *Engine) conn(ctx context.Context, f func(c *sql.Conn, ar *duckdb.Arrow) error) error {
	c, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var ar *duckdb.Arrow
	if err := c.Raw(func(dc any) error {
		var err error
		ar, err = duckdb.NewArrowFromConn(dc.(driver.Conn))
		return err
	}); err != nil {
		return err
	}
	return f(c, ar)
}

// writeTx runs f in one write transaction on a pinned connection (with the
// Arrow interface, for views of Go-built batches): it commits when f
// succeeds and rolls back otherwise, even when ctx is done, so a failed or
// canceled step leaves the store as before. Writes are serialised within
// the process. f must not write the consent ledger: see writeLedgerTx.
func (e *Engine) writeTx(ctx context.Context, f func(c *sql.Conn, ar *duckdb.Arrow) error) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.tx(ctx, f)
}

// writeLedgerTx is writeTx for transactions that may add ledger records:
// it drops the consent cache once the transaction is over, still holding
// the write lock, so that no writer sees a cache older than the ledger.
func (e *Engine) writeLedgerTx(ctx context.Context, f func(c *sql.Conn, ar *duckdb.Arrow) error) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	defer e.consents.reset()
	return e.tx(ctx, f)
}

// tx runs f in one transaction; the caller holds writeMu. Once the
// transaction has ended, committed or rolled back, it resets DuckDB's
// preserve_insertion_order, which is global to the database and which an
// ingest turns off for its own INSERT (see streamEvents): inside the
// transaction the reset cannot be relied on, because DuckDB refuses every
// statement but ROLLBACK after an error. So every write starts with
// insertion order on.
func (e *Engine) tx(ctx context.Context, f func(c *sql.Conn, ar *duckdb.Arrow) error) error {
	return e.conn(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			return err
		}
		err := f(c, ar)
		if err != nil {
			if _, rerr := c.ExecContext(context.Background(), "ROLLBACK"); rerr != nil {
				err = errors.Join(err, rerr)
			}
		} else {
			_, err = c.ExecContext(ctx, "COMMIT")
		}
		if _, rerr := c.ExecContext(context.Background(), "RESET preserve_insertion_order"); rerr != nil {
			err = errors.Join(err, fmt.Errorf("reset insertion order after the transaction: %w", rerr))
		}
		return err
	})
}

// QueryArrow runs a read-only SQL query and hands its result to f as a
// stream of Arrow record batches. This is how the analytics stages receive
// data: never row by row. The reader is valid only inside f.
func (e *Engine) QueryArrow(ctx context.Context, query string, f func(array.RecordReader) error, args ...any) error {
	return e.conn(ctx, func(_ *sql.Conn, ar *duckdb.Arrow) error {
		rr, err := ar.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		if err := f(rr); err != nil {
			return err
		}
		return rr.Err()
	})
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
