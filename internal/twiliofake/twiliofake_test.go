package twiliofake_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openhouse/openhouse/internal/twiliofake"
)

// TestChecksWhatTwilioChecks: wrong credentials are 401 (Twilio's 20003),
// a missing or malformed number or body 400 with Twilio's codes, and only
// an accepted message is recorded.
func TestChecksWhatTwilioChecks(t *testing.T) {
	fake := twiliofake.New("ACx", "token")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	post := func(user, pass string, form url.Values) int {
		req, _ := http.NewRequest("POST", srv.URL+"/2010-04-01/Accounts/ACx/Messages.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := url.Values{"To": {"+13125550100"}, "From": {"+13125550000"}, "Body": {"hello"}}
	for name, c := range map[string]struct {
		user, pass string
		form       url.Values
		want       int
	}{
		"wrong token":  {"ACx", "guess", good, 401},
		"no To":        {"ACx", "token", url.Values{"From": {"+13125550000"}, "Body": {"x"}}, 400},
		"bad To":       {"ACx", "token", url.Values{"To": {"312"}, "From": {"+13125550000"}, "Body": {"x"}}, 400},
		"no Body":      {"ACx", "token", url.Values{"To": {"+13125550100"}, "From": {"+13125550000"}}, 400},
		"good message": {"ACx", "token", good, 201},
	} {
		if got := post(c.user, c.pass, c.form); got != c.want {
			t.Errorf("%s = %d, want %d", name, got, c.want)
		}
	}
	if msgs := fake.Messages(); len(msgs) != 1 || msgs[0].Body != "hello" || msgs[0].To != "+13125550100" {
		t.Errorf("recorded %+v, want the one good message", msgs)
	}
}
