package notification

import "github.com/openhouse/openhouse/internal/platform/store"

// DB is the store's database, for tests that read the outbox.
func (s *SQLStore) DB() *store.DB { return s.db }
