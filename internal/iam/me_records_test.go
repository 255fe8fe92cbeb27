package iam

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openhouse/openhouse/internal/platform/store/storetest"
)

// recordSource answers every user the same records.
type recordSource map[string][]json.RawMessage

func (r recordSource) Summaries(_ context.Context, _ string, limit int) (map[string][]json.RawMessage, error) {
	if limit != recordsShown {
		return nil, nil
	}
	return r, nil
}

// TestMeShowsRecords: GET /iam/me shows what the record source keeps,
// each kind under its own key, and empty lists for kinds it has none of.
func TestMeShowsRecords(t *testing.T) {
	src := recordSource{
		"listing":      {json.RawMessage(`{"listing_id":"lst-1"}`)},
		"appointment":  {json.RawMessage(`{"appointment_id":"apt-2"}`), json.RawMessage(`{"appointment_id":"apt-1"}`)},
		"notification": {json.RawMessage(`{"notification_id":"n-1"}`)},
	}
	h := newHarness(t, storetest.OpenSQLite, func(c *Config) { c.Records = src })
	carl := h.register(roleCustomer, "carl")
	var me struct {
		Records map[string][]map[string]string `json:"records"`
	}
	if err := json.Unmarshal(h.do("GET", "/iam/me", carl.token, nil).body, &me); err != nil {
		t.Fatal(err)
	}
	r := me.Records
	if len(r["listings"]) != 1 || r["listings"][0]["listing_id"] != "lst-1" ||
		len(r["appointments"]) != 2 || r["appointments"][0]["appointment_id"] != "apt-2" ||
		len(r["notifications"]) != 1 || r["payments"] == nil || len(r["payments"]) != 0 {
		t.Fatalf("records = %v", r)
	}
}
