package app_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openhouse/openhouse/internal/app"
	"github.com/openhouse/openhouse/internal/notification"
	"github.com/openhouse/openhouse/internal/twiliofake"
)

// twilioFakes are the local Twilio fakes tests started, by their URL.
var (
	twilioMu    sync.Mutex
	twilioFakes = map[string]*twiliofake.Server{}
)

const (
	testTwilioSID   = "ACapptest000000000000000000000000"
	testTwilioToken = "apptesttoken0123456789"
	testTwilioFrom  = "+13125550000"
)

// withTwilio points the app's SMS channel at a local Twilio fake that the
// test starts (the matrix finds it by its URL).
func withTwilio(t testing.TB, cfg app.Config) app.Config {
	t.Helper()
	fake := twiliofake.New(testTwilioSID, testTwilioToken)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	twilioMu.Lock()
	twilioFakes[srv.URL] = fake
	twilioMu.Unlock()
	cfg.Twilio = notification.TwilioConfig{AccountSID: testTwilioSID, AuthToken: testTwilioToken, From: testTwilioFrom, APIURL: srv.URL}
	return cfg
}

// twilioFake is the fake behind url, or nil.
func twilioFake(url string) *twiliofake.Server {
	twilioMu.Lock()
	defer twilioMu.Unlock()
	return twilioFakes[url]
}

// twilioSign signs a webhook the way Twilio does: HMAC-SHA1 with the auth
// token over the URL followed by each form field's name and value, sorted
// by name, base64.
func twilioSign(token, url string, form map[string]string) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(url)
	for _, k := range keys {
		b.WriteString(k + form[k])
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// textIn posts an inbound text to the app as Twilio would, signed with
// token ("" for no signature).
func textIn(t *testing.T, c client, token, from, body, sid string) int {
	t.Helper()
	form := map[string]string{"MessageSid": sid, "AccountSid": testTwilioSID, "From": from, "To": testTwilioFrom, "Body": body}
	vals := neturl.Values{}
	for k, v := range form {
		vals.Set(k, v)
	}
	req, _ := http.NewRequest("POST", c.base+"/notifications/sms/inbound", strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-Twilio-Signature", twilioSign(token, c.base+"/notifications/sms/inbound", form))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSMSConfirmsByReply (the must-show 5): a realtor who chose
// SMS for bookings gets one text per booking through Twilio's API (the
// local fake); replying Y through Twilio's signed webhook confirms the
// appointment through the appointment service; an unsigned or wrongly
// signed reply is 403 and changes nothing; after STOP they get no more
// texts, while their inbox still gets everything.
func TestSMSConfirmsByReply(t *testing.T) {
	cfg := withTwilio(t, withServiceSecrets(backends(t)["embedded"]))
	cfg.AdminEmail, cfg.AdminPassword = "root@example.com", "the admin passphrase"
	_, c := startApp(t, cfg)
	m := newMatrix(t, c, cfg)
	customer, realtor := m.users["customer"][0], m.users["realtor"][0]
	const number = "+13125550177"
	if status, out := c.call("PUT", "/notifications/phone", realtor.token, map[string]string{"number": number}); status != 202 {
		t.Fatalf("phone = %d %v", status, out)
	}
	msgs := m.twilio.Messages()
	code := regexp.MustCompile(`\d{6}`).FindString(msgs[len(msgs)-1].Body)
	if status, out := c.call("POST", "/notifications/phone/verify", realtor.token, map[string]string{"code": code}); status != 200 {
		t.Fatalf("verify = %d %v", status, out)
	}
	if status, out := c.call("PUT", "/notifications/preferences", realtor.token, map[string]any{
		"channels": map[string][]string{"booked": {"inbox", "sms"}, "changed": {"inbox", "sms"}}}); status != 200 {
		t.Fatalf("preferences = %d %v", status, out)
	}
	texts := func() []string {
		var out []string
		for _, msg := range m.twilio.Messages() {
			if msg.To == number && strings.Contains(msg.Body, "New tour") {
				out = append(out, msg.Body)
			}
		}
		return out
	}

	b := m.book(customer, realtor)
	eventually(t, "the assignment text", 10*time.Second, func() bool { return len(texts()) == 1 })
	if !strings.Contains(texts()[0], "Reply Y to confirm") {
		t.Fatalf("assignment text = %q", texts()[0])
	}
	status := func() string {
		out := m.admin("GET", "/appointments/"+b.appointment, nil, 200)
		return out["status"].(string)
	}

	if got := textIn(t, c, "", number, "Y", "SMunsigned"); got != 403 {
		t.Errorf("an unsigned reply = %d, want 403", got)
	}
	if got := textIn(t, c, "not-the-auth-token", number, "Y", "SMforged"); got != 403 {
		t.Errorf("a wrongly signed reply = %d, want 403", got)
	}
	if s := status(); s != "scheduled" {
		t.Fatalf("after refused replies the appointment is %s", s)
	}

	if got := textIn(t, c, testTwilioToken, number, " y ", "SMconfirm1"); got != 200 {
		t.Fatalf("a signed Y = %d", got)
	}
	if got := textIn(t, c, testTwilioToken, number, " y ", "SMconfirm1"); got != 200 {
		t.Fatalf("the same Y posted again = %d", got)
	}
	eventually(t, "the appointment to be confirmed", 10*time.Second, func() bool { return status() == "confirmed" })

	// STOP: no more texts, the inbox still gets the news.
	if got := textIn(t, c, testTwilioToken, number, "STOP", "SMstop1"); got != 200 {
		t.Fatalf("STOP = %d", got)
	}
	_, phone := c.call("GET", "/notifications/phone", realtor.token, nil)
	if phone["opted_out"] != true {
		t.Fatalf("after STOP the phone is %v", phone)
	}
	before := len(m.twilio.Messages())
	m.book(customer, realtor)
	eventually(t, "the second booking in the realtor's inbox", 10*time.Second, func() bool {
		_, out := c.call("GET", "/notifications", realtor.token, nil)
		n := 0
		for _, it := range out["items"].([]any) {
			if it.(map[string]any)["kind"] == "tour_scheduled" {
				n++
			}
		}
		return n == 2
	})
	// The second booking queued no text at all: the phone opted out.
	if out := m.admin("GET", "/notifications/deliveries?channel=sms&user_id="+realtor.id, nil, 200); len(out["items"].([]any)) != 1 {
		t.Errorf("the realtor's SMS deliveries = %v, want only the first booking's", out["items"])
	}
	if after := len(m.twilio.Messages()); after != before {
		t.Errorf("after STOP %d more texts went out", after-before)
	}
}
