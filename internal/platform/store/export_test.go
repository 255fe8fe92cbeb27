package store

// CheckpointEvery is how many commits there are between two background
// checkpoints.
const CheckpointEvery = checkpointEvery

// CheckpointRuns is how many WAL checkpoints db has made.
func CheckpointRuns(db *DB) int64 { return db.checkpoints.runs.Load() }
