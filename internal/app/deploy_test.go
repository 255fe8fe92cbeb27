package app_test

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"
)

// The deploy files a test checks against what the app exports.
const (
	dashboardFile = "../../deploy/grafana/openhouse.json"
	alertsFile    = "../../deploy/prometheus/alerts.yml"
)

// metricName finds the openhouse metric names in a PromQL expression. All
// openhouse metrics share the prefix, so it is the one thing that tells a
// metric from a function (rate, histogram_quantile), a label or a keyword
// (by, le); an expression naming a metric of another prefix is rejected
// below rather than silently unchecked.
var metricName = regexp.MustCompile(`\bopenhouse_[a-zA-Z0-9_:]*`)

// foreignSelector spots a selector of a metric outside openhouse's prefix:
// a name right before a '{' that is not a grouping clause.
var foreignSelector = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{`)

// dashboardExprs returns every PromQL expression of a Grafana dashboard:
// panel targets (nested rows included) and query variables.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []panel `json:"panels"`
	}
	var d struct {
		Title      string  `json:"title"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if d.Title == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: no title or no panels", path)
	}
	var out []string
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) == "" {
					t.Errorf("%s: panel %q has a target without expr", path, p.Title)
				}
				out = append(out, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok && v.Type == "query" {
			out = append(out, q)
		}
	}
	return out
}

// alertExprs returns the expr of every rule in a Prometheus rules file,
// checking the shape Prometheus requires of alerting rules.
func alertExprs(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Record      string            `yaml:"record"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, g := range f.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("%s: a group without name or rules", path)
		}
		for _, r := range g.Rules {
			if (r.Alert == "") == (r.Record == "") || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: rule %q%q needs exactly one of alert/record, and an expr", path, r.Alert, r.Record)
			}
			if r.Alert != "" && (r.Annotations["summary"] == "" || r.Labels["severity"] == "") {
				t.Errorf("%s: alert %s needs a summary and a severity", path, r.Alert)
			}
			out = append(out, r.Expr)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", path)
	}
	return out
}

// exported is what the registry holds: family name -> type.
type exported map[string]dto.MetricType

// resolve maps a name used in PromQL to the family it reads: a histogram's
// series are <name>_bucket, _sum and _count; a counter's <name>_total is
// its family name already.
func (e exported) resolve(name string) (string, bool) {
	if _, ok := e[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		if typ, ok := e[base]; ok && (typ == dto.MetricType_HISTOGRAM || typ == dto.MetricType_SUMMARY) {
			return base, true
		}
	}
	return "", false
}

// checkDeployFiles: every metric the dashboard and the alerts use is one
// the app exports after a booking.
func checkDeployFiles(t *testing.T, fams families) {
	have := exported{}
	for name, f := range fams {
		have[name] = f.GetType()
	}
	for file, exprs := range map[string][]string{
		dashboardFile: dashboardExprs(t, dashboardFile),
		alertsFile:    alertExprs(t, alertsFile),
	} {
		used := map[string]bool{}
		for _, expr := range exprs {
			names := metricName.FindAllString(expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: expression names no openhouse metric: %s", file, expr)
			}
			for _, n := range names {
				used[n] = true
			}
			for _, m := range foreignSelector.FindAllStringSubmatch(expr, -1) {
				if !strings.HasPrefix(m[1], "openhouse_") && m[1] != "by" && m[1] != "without" && m[1] != "on" && m[1] != "ignoring" {
					t.Errorf("%s: %s is not an openhouse metric; this check cannot vouch for it: %s", file, m[1], expr)
				}
			}
		}
		var missing []string
		for n := range used {
			if _, ok := have.resolve(n); !ok {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s uses metrics the app does not export: %v", file, missing)
		}
	}
}
