package iam

import (
	"github.com/openhouse/openhouse/internal/platform/bus"
)

// recordSubscriptions are iam's consumers of other services' news about
// its users. Each maps an event to records and stores them through
// Store.PutRecords, which applies an event once.
func (s *Service) recordSubscriptions() []bus.Subscription {
	return nil
}
