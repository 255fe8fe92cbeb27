package store

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// checkpointEvery is how many commits a SQLite database takes between two
// WAL checkpoints. A commit here writes a few pages (a state row, an outbox
// or inbox row, their indexes), so 256 commits are about the 1,000 WAL pages
// at which SQLite would checkpoint on its own.
const checkpointEvery = 256

// checkpointer moves a SQLite database's write-ahead log into the database
// file in the background. SQLite's automatic checkpoint (turned off in
// openSQLite: wal_autocheckpoint=0) runs inside the commit that crosses
// 1,000 WAL pages: that commit copies every page back, fsyncs the WAL and
// the database file, and meanwhile holds the writer, so that one commit
// takes many times longer than the others and every transaction queued
// behind it waits too: the slowest hops of BenchmarkOutboxHop
// (docs/performance.md).
//
// Here a goroutine runs PRAGMA wal_checkpoint(PASSIVE) on a connection of
// its own after every checkpointEvery commits. A passive checkpoint takes
// no lock a writer or a reader needs: writers keep appending to the WAL
// while it copies (see checkpoint for how the WAL still starts over).
// Durability is
// SQLite's WAL with synchronous=NORMAL either way: a commit is durable
// against a killed process once it is in the WAL, checkpointed or not.
type checkpointer struct {
	commits atomic.Int64
	due     chan struct{}
	stop    chan struct{}
	done    sync.WaitGroup
	once    sync.Once
	// mu is held by the checkpoint in progress: SQLite runs one at a time
	// and answers a second with "busy" and nothing copied.
	mu sync.Mutex
	// catchUp asks the next writer to checkpoint while it holds the
	// writer: the WAL grew past walCatchUp without starting over.
	catchUp atomic.Bool
	// runs counts checkpoints made, for tests.
	runs atomic.Int64
}

// startCheckpointer runs db's checkpoints until stopCheckpointer.
func (db *DB) startCheckpointer() {
	c := &checkpointer{due: make(chan struct{}, 1), stop: make(chan struct{})}
	db.checkpoints = c
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		for {
			select {
			case <-c.stop:
				return
			case <-c.due:
			}
			db.checkpoint()
			c.runs.Add(1)
		}
	}()
}

// checkpoint copies the WAL back. A passive checkpoint copies the frames
// written before it started, so while writes go on it is repeated (each
// round copies only what came meanwhile). SQLite starts the WAL over from
// its beginning only at a write transaction that began while all of it was
// copied: writers that never pause (a transaction always open when a
// checkpoint ends) would grow it without end, so once it is past walCatchUp
// frames the next writer checkpoints it before letting go of the writer
// (see committed), as SQLite's automatic checkpoint did every 1,000 pages,
// and the write after that starts it over.
func (db *DB) checkpoint() {
	c := db.checkpoints
	c.mu.Lock()
	defer c.mu.Unlock()
	var frames, copied int
	var err error
	for range 8 {
		if frames, copied, err = db.passiveCheckpoint(context.Background()); err != nil || copied >= frames {
			break
		}
	}
	if err != nil {
		// A passive checkpoint is never refused for a lock; an error here
		// is the file's (disk full, I/O), which the next write meets too.
		// The WAL keeps every commit meanwhile.
		slog.Warn("store: WAL checkpoint", "db", db.Namespace, "err", err)
		return
	}
	if frames > walCatchUp {
		c.catchUp.Store(true)
	}
}

// walCatchUp is the WAL size, in frames (pages), past which a checkpoint
// is checkpointed by a writer: twice SQLite's default.
const walCatchUp = 2000

// passiveCheckpoint runs one PASSIVE checkpoint and returns the WAL's size
// and how much of it is in the database file now, in frames, as SQLite
// reports them.
func (db *DB) passiveCheckpoint(ctx context.Context) (frames, copied int, err error) {
	var busy int
	err = db.DB.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// committed counts a commit and asks for a checkpoint every
// checkpointEvery. The caller still holds the writer: when the WAL needs to
// catch up, it checkpoints here, before the next write can begin.
func (db *DB) committed() {
	c := db.checkpoints
	if c == nil {
		return
	}
	if c.catchUp.CompareAndSwap(true, false) {
		c.mu.Lock() // after a background checkpoint in progress, if any
		_, _, err := db.passiveCheckpoint(context.Background())
		c.mu.Unlock()
		if err != nil {
			slog.Warn("store: WAL checkpoint", "db", db.Namespace, "err", err)
		}
		c.runs.Add(1)
	}
	if c.commits.Add(1)%checkpointEvery != 0 {
		return
	}
	select {
	case c.due <- struct{}{}:
	default: // one is due already
	}
}

// stopCheckpointer waits for a checkpoint in progress and ends the
// goroutine. Closing the database checkpoints what is left.
func (db *DB) stopCheckpointer() {
	c := db.checkpoints
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
}

// Close stops the background checkpoints and closes the database.
func (db *DB) Close() error {
	db.stopCheckpointer()
	return db.DB.Close()
}
