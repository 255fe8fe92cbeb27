package events

import (
	"fmt"
	"regexp"
)

// Money is an amount in integer minor units (cents for USD) of an ISO 4217
// currency, as in the HTTP contract: {"amount": 2500, "currency": "USD"}.
// Never a float.
type Money struct {
	Amount   int64  `json:"amount" doc:"Integer minor units (cents for USD)." example:"2500"`
	Currency string `json:"currency" doc:"ISO 4217 code." example:"USD"`
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// MaxAmount bounds any single amount (one billion major units), far below
// int64 overflow when amounts are summed.
const MaxAmount = 100_000_000_000

// Validate checks the currency code's form and that the amount is between
// zero and MaxAmount.
func (m Money) Validate() error {
	if !currencyPattern.MatchString(m.Currency) {
		return fmt.Errorf("currency must be an ISO 4217 code such as USD")
	}
	if m.Amount < 0 || m.Amount > MaxAmount {
		return fmt.Errorf("amount must be 0 to %d minor units", int64(MaxAmount))
	}
	return nil
}

// Add sums two amounts of one currency.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}
