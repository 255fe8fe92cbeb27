package notification

import "github.com/openhouse/openhouse/internal/platform/store"

// DB is the store's database, for tests that read the outbox.
func (s *SQLStore) DB() *store.DB { return s.db }

// SMSForTest is the service's SMS sender, for a second instance.
func (s *Service) SMSForTest() SMSSender { return s.cfg.SMS }
