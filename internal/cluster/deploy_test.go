package cluster

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/openhouse/openhouse/internal/app"
)

// manifest is the part of a Kubernetes object the checks read.
type manifest struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas *int `yaml:"replicas"`
		Ports    []struct {
			Name string `yaml:"name"`
			Port int    `yaml:"port"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				Containers []container `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type container struct {
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom struct {
			SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	LivenessProbe  probe `yaml:"livenessProbe"`
}

type keyRef struct{ Name, Key string }

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}

func readManifests(t *testing.T) map[string]map[string]manifest {
	t.Helper()
	files, err := filepath.Glob("../../deploy/kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string]map[string]manifest{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if out[m.Kind] == nil {
				out[m.Kind] = map[string]manifest{}
			}
			out[m.Kind][m.Metadata.Name] = m
		}
	}
	return out
}

// TestKubernetesManifestsMatchTheLauncher checks deploy/kubernetes against
// what `openhouse cluster` runs: the same services, each with the same
// environment variables, listening where its probes and Service look; the
// same NATS cluster size, fsync setting and users with the same
// permissions; and every Secret or ConfigMap key a pod reads exists.
func TestKubernetesManifestsMatchTheLauncher(t *testing.T) {
	k := readManifests(t)
	top, err := Plan(testOptions(t, "/bin/false"), func(string) string { return "x" })
	if err != nil {
		t.Fatal(err)
	}
	want := append(app.ServiceNames(), app.GatewayName)
	for _, name := range want {
		d, ok := k["Deployment"][name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		procName := name + "-1"
		if name == app.GatewayName {
			procName = name
		}
		proc, _ := top.Proc(procName)
		checkContainer(t, name, d, proc, k)
		if s, ok := k["Service"][name]; !ok || len(s.Spec.Ports) == 0 {
			t.Errorf("no Service for %s", name)
		}
	}
	for name := range k["Deployment"] {
		if !slices.Contains(want, name) && name != "redis" {
			t.Errorf("Deployment %s is not a process of the launcher", name)
		}
	}
	cfg := k["ConfigMap"]["openhouse-config"].Data
	for _, s := range app.ServiceNames() {
		if !strings.Contains(cfg["OPENHOUSE_PEERS"], s+"=http://"+s+":8080") {
			t.Errorf("OPENHOUSE_PEERS does not send %s to its Service", s)
		}
	}

	nats, ok := k["StatefulSet"]["nats"]
	if !ok || nats.Spec.Replicas == nil || *nats.Spec.Replicas != NATSNodes {
		t.Fatalf("NATS StatefulSet: want %d replicas", NATSNodes)
	}
	conf := k["ConfigMap"]["nats-config"].Data["nats.conf"]
	local := top.Procs[0].Config // node 1 of the launcher's cluster
	for _, setting := range []string{"sync_interval: always", "max_payload: 1048576", `name: "openhouse"`} {
		if !strings.Contains(conf, setting) || !strings.Contains(local, setting) {
			t.Errorf("nats.conf and the launcher's config must both hold %q", setting)
		}
	}
	if got := strings.Count(conf, "nats-route://"); got != NATSNodes {
		t.Errorf("nats.conf has %d routes, want %d", got, NATSNodes)
	}
	if !strings.Contains(squeeze(conf), squeeze(EnvAuthorization(app.ServiceNames(), ""))) {
		t.Errorf("nats.conf's authorization block differs from the launcher's users and permissions:\n%s", EnvAuthorization(app.ServiceNames(), ""))
	}
	var natsEnv []string
	for _, e := range nats.Spec.Template.Spec.Containers[0].Env {
		natsEnv = append(natsEnv, e.Name)
		checkRef(t, "nats", e.ValueFrom.SecretKeyRef, e.ValueFrom.ConfigMapKeyRef, k)
	}
	for user := range top.NATSUsers {
		if !slices.Contains(natsEnv, PasswordVariable(user)) {
			t.Errorf("the NATS servers do not read %s", PasswordVariable(user))
		}
	}
}

func checkContainer(t *testing.T, name string, d manifest, proc Proc, k map[string]map[string]manifest) {
	t.Helper()
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Errorf("%s: want one container", name)
		return
	}
	c := d.Spec.Template.Spec.Containers[0]
	var names []string
	env := map[string]string{}
	for _, e := range c.Env {
		names = append(names, e.Name)
		env[e.Name] = e.Value
		checkRef(t, name, e.ValueFrom.SecretKeyRef, e.ValueFrom.ConfigMapKeyRef, k)
	}
	slices.Sort(names)
	launcher := EnvNames(proc)
	slices.Sort(launcher)
	if !slices.Equal(names, launcher) {
		t.Errorf("%s: manifest env %v\nlauncher env %v", name, names, launcher)
	}
	if env["OPENHOUSE_SERVICES"] != name {
		t.Errorf("%s: OPENHOUSE_SERVICES=%q", name, env["OPENHOUSE_SERVICES"])
	}
	_, port, _ := net.SplitHostPort(env["OPENHOUSE_HTTP_ADDR"])
	if len(c.Ports) != 1 || port == "" || strconv.Itoa(c.Ports[0].ContainerPort) != port {
		t.Errorf("%s: containerPort does not match OPENHOUSE_HTTP_ADDR %q", name, env["OPENHOUSE_HTTP_ADDR"])
	}
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("%s: probes must be /readyz and /healthz", name)
	}
	if name == app.GatewayName {
		for _, s := range app.ServiceNames() {
			if !strings.Contains(env["OPENHOUSE_UPSTREAMS"], s+"=http://"+s+":8080") {
				t.Errorf("gateway: OPENHOUSE_UPSTREAMS misses %s", s)
			}
		}
	}
}

func checkRef(t *testing.T, who string, secret, config *keyRef, k map[string]map[string]manifest) {
	t.Helper()
	if secret != nil {
		if _, ok := k["Secret"][secret.Name].StringData[secret.Key]; !ok {
			t.Errorf("%s reads Secret %s key %s, which the manifests do not define", who, secret.Name, secret.Key)
		}
	}
	if config != nil {
		if _, ok := k["ConfigMap"][config.Name].Data[config.Key]; !ok {
			t.Errorf("%s reads ConfigMap %s key %s, which the manifests do not define", who, config.Name, config.Key)
		}
	}
}

// squeeze drops indentation and blank lines.
func squeeze(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
