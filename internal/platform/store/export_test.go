package store

// CheckpointEvery is how many commits there are between two background
// checkpoints.
const CheckpointEvery = checkpointEvery

// CheckpointRuns is how many WAL checkpoints db has made.
func CheckpointRuns(db *DB) int64 { return db.checkpoints.runs.Load() }

// Commits is how many transactions db has committed (SQLite).
func Commits(db *DB) int64 { return db.checkpoints.commits.Load() }

// GroupWaiting is how many InGroupTx calls wait for the writer.
func GroupWaiting(db *DB) int {
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	return len(db.group.calls)
}
