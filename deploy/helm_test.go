package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// helmValues is the part of deploy/helm/irbot/values.yaml these checks read.
type helmValues struct {
	ReplicaCount int `yaml:"replicaCount"`
	Temporal     struct {
		Address   string `yaml:"address"`
		Namespace string `yaml:"namespace"`
	} `yaml:"temporal"`
	PostgreSQL struct {
		ExistingSecret string `yaml:"existingSecret"`
	} `yaml:"postgresql"`
	Secrets struct {
		Keys map[string]string `yaml:"keys"`
	} `yaml:"secrets"`
	Resources struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	Probes struct {
		Liveness  struct{ Path string } `yaml:"liveness"`
		Readiness struct{ Path string } `yaml:"readiness"`
	} `yaml:"probes"`
	PodDisruptionBudget struct {
		Enabled      bool `yaml:"enabled"`
		MinAvailable int  `yaml:"minAvailable"`
	} `yaml:"podDisruptionBudget"`
	PodSecurityContext struct {
		RunAsUser int `yaml:"runAsUser"`
	} `yaml:"podSecurityContext"`
}

func loadHelm(t *testing.T) (helmValues, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("helm", "irbot", "values.yaml"))
	require.NoError(t, err, "the Helm chart lives in deploy/helm/irbot")
	var v helmValues
	require.NoError(t, yaml.Unmarshal(raw, &v), "values.yaml must be valid YAML")
	dep, err := os.ReadFile(filepath.Join("helm", "irbot", "templates", "deployment.yaml"))
	require.NoError(t, err)
	return v, string(dep)
}

// helmEnv returns the variables the chart's Deployment sets, by name, with
// whether each comes from a Secret.
func helmEnv(t *testing.T, v helmValues, dep string) map[string]bool {
	t.Helper()
	env := map[string]bool{}
	lines := strings.Split(dep, "\n")
	for i, l := range lines {
		m := regexp.MustCompile(`^\s*- name: ([A-Z][A-Z0-9_]*)\s*$`).FindStringSubmatch(l)
		if m == nil {
			continue
		}
		secret := i+1 < len(lines) && strings.Contains(lines[i+1], "valueFrom:")
		env[m[1]] = secret
	}
	for name := range v.Secrets.Keys {
		env[name] = true
	}
	return env
}

func mebibytes(t *testing.T, q string) int {
	t.Helper()
	m := regexp.MustCompile(`^(\d+)(Mi|Gi)$`).FindStringSubmatch(q)
	require.NotNil(t, m, "memory %q must be in Mi or Gi", q)
	n, _ := strconv.Atoi(m[1])
	if m[2] == "Gi" {
		n *= 1024
	}
	return n
}

// TestHelmChartMatchesCompose keeps the chart and docker-compose.yml saying
// the same thing about irbot: the same variables, port and health endpoint,
// secrets never as plain values, and sizes from the benchmark.
func TestHelmChartMatchesCompose(t *testing.T) {
	v, dep := loadHelm(t)
	c := loadCompose(t)
	env := helmEnv(t, v, dep)

	for name := range env {
		require.Contains(t, documentedEnv, name, "the chart sets %s, which irbot does not read: a typo or an undocumented setting", name)
	}
	for name := range c.Services["irbot"].Environment {
		require.Contains(t, env, name, "docker-compose.yml sets %s on irbot but the Helm chart does not: the two topologies drifted", name)
	}
	for name, secret := range env {
		if regexp.MustCompile(`TOKEN|SECRET|PASSWORD|DATABASE_URL`).MatchString(name) {
			require.True(t, secret, "%s carries a credential: the chart must take it from a Secret, never a plain value", name)
		}
	}
	require.NotEmpty(t, v.Temporal.Address, "replicas share one Temporal: its address is a value")
	require.NotEmpty(t, v.PostgreSQL.ExistingSecret, "replicas share one PostgreSQL: its URL comes from a Secret")

	_, port, _ := strings.Cut(interpolate(c.Services["irbot"].Environment["IRBOT_HTTP_ADDR"]), ":")
	require.Contains(t, dep, `value: "0.0.0.0:`+port+`"`, "the chart's IRBOT_HTTP_ADDR must be compose's")
	require.Contains(t, dep, "containerPort: "+port)
	require.Equal(t, "/healthz", v.Probes.Liveness.Path, "liveness asks /healthz: a replica whose backend is down must not be restarted for it")
	require.Equal(t, "/readyz", v.Probes.Readiness.Path, "readiness asks /readyz, as compose's healthcheck does")
	require.Contains(t, dep, "readinessProbe:")
	require.Contains(t, dep, "livenessProbe:")

	require.GreaterOrEqual(t, v.ReplicaCount, 2, "one replica is no failover")
	require.True(t, v.PodDisruptionBudget.Enabled)
	require.GreaterOrEqual(t, v.PodDisruptionBudget.MinAvailable, 1)
	require.Less(t, v.PodDisruptionBudget.MinAvailable, v.ReplicaCount, "a PDB as large as the Deployment blocks every node drain")

	uid := 0
	for _, l := range dockerfileLines(t) {
		if strings.HasPrefix(l, "USER ") {
			user, _, _ := strings.Cut(strings.TrimSpace(strings.TrimPrefix(l, "USER ")), ":")
			uid, _ = strconv.Atoi(user)
		}
	}
	require.Equal(t, uid, v.PodSecurityContext.RunAsUser, "the pod runs as the image's USER")

	// Memory from the benchmark: the limit must hold what one replica was
	// measured to use (README, Performance: RSS with 50 open incidents).
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`RSS with 50 open incidents \| (\d+) MiB`).FindSubmatch(readme)
	require.NotNil(t, m, "README's Performance table must give the RSS the chart is sized from")
	rss, _ := strconv.Atoi(string(m[1]))
	require.NotEmpty(t, v.Resources.Requests["cpu"], "resource requests let the scheduler place replicas")
	require.Greater(t, mebibytes(t, v.Resources.Limits["memory"]), rss, "the memory limit must exceed the measured RSS (%d MiB) or replicas are OOM-killed", rss)
	require.LessOrEqual(t, mebibytes(t, v.Resources.Requests["memory"]), mebibytes(t, v.Resources.Limits["memory"]))
}
