package notification

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// unfold undoes RFC 5545 line folding and splits the content lines.
func unfold(t *testing.T, ics string) []string {
	t.Helper()
	if !strings.HasSuffix(ics, "\r\n") {
		t.Fatalf("calendar does not end with CRLF: %q", ics[max(0, len(ics)-20):])
	}
	for i := 0; i < len(ics); i++ {
		if ics[i] == '\n' && (i == 0 || ics[i-1] != '\r') {
			t.Fatalf("bare LF at byte %d", i)
		}
		if ics[i] == '\r' && (i+1 == len(ics) || ics[i+1] != '\n') {
			t.Fatalf("bare CR at byte %d", i)
		}
	}
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(ics, "\r\n ", ""), "\r\n"), "\r\n")
}

// property returns the value of the first content line named name
// (parameters ignored).
func property(lines []string, name string) (string, bool) {
	for _, l := range lines {
		head, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if n, _, _ := strings.Cut(head, ";"); n == name {
			return value, true
		}
	}
	return "", false
}

// unescape reverses TEXT escaping.
func unescape(s string) string {
	r := strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n")
	return r.Replace(s)
}

func baseInvite() invite {
	start := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	return invite{
		UID: "tour-42", Sequence: 3, Method: methodRequest,
		Start: start.In(time.FixedZone("X", 3600)), End: start.Add(90 * time.Minute),
		Summary: "Home tour", Location: "Loft", Stamp: start.Add(-48 * time.Hour),
	}
}

func TestInviteStructure(t *testing.T) {
	ics := string(baseInvite().ICS())
	lines := unfold(t, ics)
	if lines[0] != "BEGIN:VCALENDAR" || lines[len(lines)-1] != "END:VCALENDAR" {
		t.Fatalf("not a VCALENDAR: %q ... %q", lines[0], lines[len(lines)-1])
	}
	want := map[string]string{
		"VERSION": "2.0", "METHOD": "REQUEST", "UID": "tour-42", "SEQUENCE": "3", "STATUS": "CONFIRMED",
		"DTSTART": "20261201T160000Z", "DTEND": "20261201T173000Z", "DTSTAMP": "20261129T160000Z",
		"SUMMARY": "Home tour", "LOCATION": "Loft",
	}
	for name, v := range want {
		if got, ok := property(lines, name); !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", name, got, ok, v)
		}
	}
	if _, ok := property(lines, "PRODID"); !ok {
		t.Error("PRODID missing")
	}
	if strings.Count(ics, "BEGIN:VEVENT") != 1 || strings.Count(ics, "END:VEVENT") != 1 {
		t.Error("want exactly one VEVENT")
	}
}

func TestInviteCancel(t *testing.T) {
	inv := baseInvite()
	inv.Method, inv.Sequence = methodCancel, 4
	lines := unfold(t, string(inv.ICS()))
	for name, v := range map[string]string{"METHOD": "CANCEL", "STATUS": "CANCELLED", "SEQUENCE": "4", "UID": "tour-42"} {
		if got, _ := property(lines, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
}

func TestInviteEscapesText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Loft, Lake St; 3 bd", `Loft\, Lake St\; 3 bd`},
		{`back\slash`, `back\\slash`},
		{"two\nlines", `two\nlines`},
		{"windows\r\nbreak", `windows\nbreak`},
		{"old mac\rbreak", `old mac\nbreak`},
		{"bell\x07 and del\x7f dropped", "bell and del dropped"},
		{"tab\tkept", "tab\tkept"},
		{"Café, naïve; 東京", `Café\, naïve\; 東京`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			inv := baseInvite()
			inv.Summary, inv.Location, inv.Description = c.in, c.in, c.in
			lines := unfold(t, string(inv.ICS()))
			for _, name := range []string{"SUMMARY", "LOCATION", "DESCRIPTION"} {
				got, ok := property(lines, name)
				if !ok || got != c.want {
					t.Errorf("%s = %q, want %q", name, got, c.want)
				}
			}
		})
	}
	// The round trip gives the text back (control characters aside).
	inv := baseInvite()
	inv.Description = "a, b; c\\d\ne"
	got, _ := property(unfold(t, string(inv.ICS())), "DESCRIPTION")
	if unescape(got) != inv.Description {
		t.Fatalf("round trip %q -> %q -> %q", inv.Description, got, unescape(got))
	}
}

func TestInviteFoldsLongLines(t *testing.T) {
	inv := baseInvite()
	// ASCII, and two- to four-byte runes, so folds land in the middle of
	// multi-byte sequences unless the writer avoids them.
	inv.Summary = strings.Repeat("Lakeview loft, ", 8)
	inv.Location = strings.Repeat("é", 60) + strings.Repeat("東", 40)
	inv.Description = strings.Repeat("🏠 ", 50)
	raw := string(inv.ICS())
	for i, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("physical line %d is %d octets: %q", i, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("physical line %d splits a UTF-8 sequence: %q", i, l)
		}
	}
	if !strings.Contains(raw, "\r\n ") {
		t.Fatal("nothing was folded")
	}
	lines := unfold(t, raw)
	for name, want := range map[string]string{
		"SUMMARY":     strings.ReplaceAll(inv.Summary, ",", `\,`),
		"LOCATION":    inv.Location,
		"DESCRIPTION": inv.Description,
	} {
		if got, _ := property(lines, name); got != want {
			t.Errorf("%s after unfolding = %q, want %q", name, got, want)
		}
	}
}

func TestInviteOrganizerAndAttendee(t *testing.T) {
	inv := baseInvite()
	inv.Organizer = &Person{Name: `open"house`, Email: "no-reply@example.com"}
	inv.Attendee = &Person{Name: "Doe, Jane; PhD", Email: "jane@example.com"}
	lines := unfold(t, string(inv.ICS()))
	var org, att string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "ORGANIZER"):
			org = l
		case strings.HasPrefix(l, "ATTENDEE"):
			att = l
		}
	}
	if org != `ORGANIZER;CN="openhouse":mailto:no-reply@example.com` {
		t.Errorf("organizer line %q", org)
	}
	if !strings.HasPrefix(att, `ATTENDEE;CN="Doe, Jane; PhD";`) || !strings.HasSuffix(att, ":mailto:jane@example.com") {
		t.Errorf("attendee line %q", att)
	}
}
