package deploy

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// repoRoot is where docker-compose.yml and the build context live; paths in
// the compose file are relative to it.
const repoRoot = ".."

// documentedEnv is every variable irbot reads, as documented in the
// Environment table of the contract (CONTRACT.md / README), plus the few
// operational knobs internal/config documents beside them. A variable set on
// the irbot service that is not here is a typo or an undocumented setting.
var documentedEnv = []string{
	"IRBOT_DATA_DIR", "IRBOT_HTTP_ADDR", "IRBOT_DATABASE_URL",
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "IRBOT_TEMPORAL_PORT",
	"IRBOT_ADMIN_TOKEN", "IRBOT_USERS_FILE", "IRBOT_ENCRYPTION_KEYS",
	"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL",
	"IRBOT_ANNOUNCE_CHANNEL",
	"SMTP_ADDR", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS",
	"IRBOT_DRILL_MAIL_SINK",
	// internal/config extras.
	"IRBOT_TEMPORAL_RETENTION", "IRBOT_LOG_LEVEL", "IRBOT_TEMPORAL_LOG_LEVEL",
}

// imagePorts are the ports each official image listens on inside its
// container, by image name without tag.
var imagePorts = map[string][]int{
	"postgres":          {5432},
	"temporalio/server": {7233},
	"temporalio/ui":     {8080},
	"axllent/mailpit":   {1025, 8025},
}

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string         `yaml:"image"`
	Build       build          `yaml:"build"`
	DependsOn   dependsOn      `yaml:"depends_on"`
	Environment environment    `yaml:"environment"`
	Ports       []portMapping  `yaml:"ports"`
	Expose      []string       `yaml:"expose"`
	Volumes     []string       `yaml:"volumes"`
	Healthcheck map[string]any `yaml:"healthcheck"`
	Restart     string         `yaml:"restart"`
}

// build accepts both `build: DIR` and `build: {context, dockerfile}`.
type build struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

func (b *build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain build
	return n.Decode((*plain)(b))
}

// dependsOn accepts the list form and the map form (with conditions).
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	*d = dependsOn{}
	switch n.Kind {
	case yaml.SequenceNode:
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, s := range names {
			(*d)[s] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			(*d)[k] = v.Condition
		}
	default:
		return fmt.Errorf("line %d: depends_on must be a list or a map", n.Line)
	}
	return nil
}

// environment accepts `- K=V` lists and `K: V` maps; values are raw
// (uninterpolated) strings.
type environment map[string]string

func (e *environment) UnmarshalYAML(n *yaml.Node) error {
	*e = environment{}
	switch n.Kind {
	case yaml.SequenceNode:
		var items []string
		if err := n.Decode(&items); err != nil {
			return err
		}
		for _, it := range items {
			k, v, _ := strings.Cut(it, "=")
			(*e)[k] = v
		}
	case yaml.MappingNode:
		var m map[string]string
		if err := n.Decode(&m); err != nil {
			return err
		}
		for k, v := range m {
			(*e)[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment must be a list or a map", n.Line)
	}
	return nil
}

// portMapping is one entry of `ports`, short ("[ip:]host:container[/proto]")
// or long ({target, published}) syntax.
type portMapping struct {
	HostIP    string
	Published string
	Target    int
}

func (p *portMapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		var long struct {
			Target    int    `yaml:"target"`
			Published string `yaml:"published"`
			HostIP    string `yaml:"host_ip"`
		}
		if err := n.Decode(&long); err != nil {
			return err
		}
		*p = portMapping{HostIP: long.HostIP, Published: long.Published, Target: long.Target}
		return nil
	}
	s, _, _ := strings.Cut(n.Value, "/")
	parts := strings.Split(s, ":")
	var target string
	switch len(parts) {
	case 1:
		target = parts[0]
	case 2:
		p.Published, target = parts[0], parts[1]
	case 3:
		p.HostIP, p.Published, target = parts[0], parts[1], parts[2]
	default:
		return fmt.Errorf("line %d: cannot read port mapping %q", n.Line, n.Value)
	}
	t, err := strconv.Atoi(target)
	if err != nil {
		return fmt.Errorf("line %d: container port in %q is not a number", n.Line, n.Value)
	}
	p.Target = t
	return nil
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}`)

// interpolate resolves ${VAR:-default} as docker compose would with an empty
// host environment, so the checks do not depend on the machine running them.
func interpolate(s string) string {
	s = varRef.ReplaceAllStringFunc(s, func(m string) string {
		return varRef.FindStringSubmatch(m)[2]
	})
	return strings.ReplaceAll(s, "$$", "$")
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	require.NoError(t, err, "docker-compose.yml must exist at the repository root")
	var c composeFile
	require.NoError(t, yaml.Unmarshal(raw, &c), "docker-compose.yml must be valid YAML in compose's shape")
	require.NotEmpty(t, c.Services, "docker-compose.yml defines no services")
	for _, name := range []string{"postgresql", "temporal", "temporal-ui", "mailpit", "irbot"} {
		require.Contains(t, c.Services, name, "docker-compose.yml must define the %q service", name)
	}
	return c
}

func imageName(image string) (name, tag string) {
	image = interpolate(image)
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i], image[i+1:]
	}
	return image, ""
}

// listens returns the container ports a service accepts connections on.
func listens(t *testing.T, c composeFile, name string) []int {
	t.Helper()
	s := c.Services[name]
	var ports []int
	if name == "irbot" {
		_, p, err := net.SplitHostPort(interpolate(s.Environment["IRBOT_HTTP_ADDR"]))
		require.NoError(t, err, "irbot's IRBOT_HTTP_ADDR must be host:port")
		n, _ := strconv.Atoi(p)
		ports = append(ports, n)
	}
	if s.Image != "" {
		img, _ := imageName(s.Image)
		ports = append(ports, imagePorts[img]...)
	}
	for _, e := range s.Expose {
		n, err := strconv.Atoi(strings.TrimSuffix(e, "/tcp"))
		require.NoError(t, err, "service %s: expose %q is not a port", name, e)
		ports = append(ports, n)
	}
	return ports
}

func TestComposeDependsOnNamesDefinedServices(t *testing.T) {
	c := loadCompose(t)
	valid := []string{"service_started", "service_healthy", "service_completed_successfully"}
	for name, s := range c.Services {
		for dep, cond := range s.DependsOn {
			require.Contains(t, c.Services, dep, "service %s depends on %q, which docker-compose.yml does not define: compose would refuse to start", name, dep)
			require.Contains(t, valid, cond, "service %s: depends_on %s has unknown condition %q", name, dep, cond)
			if cond == "service_healthy" {
				require.NotEmpty(t, c.Services[dep].Healthcheck, "service %s waits for %s to be healthy, but %s has no healthcheck: it would never start", name, dep, dep)
			}
		}
	}
	irbot := c.Services["irbot"]
	for _, dep := range []string{"temporal", "postgresql"} {
		require.Contains(t, irbot.DependsOn, dep, "irbot must start after %s", dep)
	}
	require.Equal(t, "unless-stopped", irbot.Restart, "irbot should come back after a crash or a host reboot")
}

// TestComposeIrbotAddressesReachServices checks that every host:port irbot
// is told to dial is a service of this file listening on that port.
func TestComposeIrbotAddressesReachServices(t *testing.T) {
	c := loadCompose(t)
	env := c.Services["irbot"].Environment
	addrs := map[string]string{}
	for _, v := range []string{"TEMPORAL_ADDRESS", "SMTP_ADDR"} {
		require.Contains(t, env, v, "irbot must set %s in the scale-out topology", v)
		addrs[v] = interpolate(env[v])
	}
	require.Contains(t, env, "IRBOT_DATABASE_URL", "irbot must use PostgreSQL in the scale-out topology")
	u, err := url.Parse(interpolate(env["IRBOT_DATABASE_URL"]))
	require.NoError(t, err, "IRBOT_DATABASE_URL must be a URL")
	require.Contains(t, []string{"postgres", "postgresql"}, u.Scheme, "IRBOT_DATABASE_URL must be a postgres:// URL")
	addrs["IRBOT_DATABASE_URL"] = u.Host

	for v, addr := range addrs {
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "%s=%q must be host:port", v, addr)
		require.Contains(t, c.Services, host, "%s points at %q, which is not a service of docker-compose.yml: irbot could not resolve it", v, host)
		p, err := strconv.Atoi(port)
		require.NoError(t, err, "%s has a bad port", v)
		require.Contains(t, listens(t, c, host), p, "%s points at %s:%d, but service %s listens on %v: irbot would get connection refused", v, host, p, host, listens(t, c, host))
	}
	require.Equal(t, "none", interpolate(env["SMTP_TLS"]), "mailpit speaks plain SMTP on 1025: SMTP_TLS must be none")
	require.NotEmpty(t, interpolate(env["SMTP_FROM"]), "SMTP_FROM is required when SMTP_ADDR is set: irbot would refuse to start")
	require.Equal(t, "/data", interpolate(env["IRBOT_DATA_DIR"]), "IRBOT_DATA_DIR must be the image's /data volume")

	ui := c.Services["temporal-ui"].Environment["TEMPORAL_ADDRESS"]
	require.Equal(t, interpolate(env["TEMPORAL_ADDRESS"]), interpolate(ui), "the Temporal UI must show the cluster irbot uses")
}

func TestComposePublishedPortsAreUniqueAndListenedOn(t *testing.T) {
	c := loadCompose(t)
	seen := map[string]string{}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			require.Contains(t, listens(t, c, name), p.Target, "service %s publishes container port %d, which it does not listen on", name, p.Target)
			if p.Published == "" {
				continue
			}
			key := interpolate(p.Published)
			other, dup := seen[key]
			require.False(t, dup, "host port %s is published by both %s and %s: the second would fail to start", key, other, name)
			seen[key] = name
		}
	}
	for _, want := range []string{"8080", "7233", "8233", "1025", "8025"} {
		require.Contains(t, seen, want, "host port %s should be published (README's scale-out section points people at it)", want)
	}
}

func TestComposeIrbotSetsOnlyDocumentedVariables(t *testing.T) {
	c := loadCompose(t)
	for v := range c.Services["irbot"].Environment {
		if !slices.Contains(documentedEnv, v) {
			t.Errorf("irbot's environment in docker-compose.yml sets %s, which is not a documented irbot variable (CONTRACT.md Environment table); fix the name or document it", v)
		}
	}
	for v, raw := range c.Services["irbot"].Environment {
		if strings.HasPrefix(v, "SLACK_") || v == "IRBOT_ADMIN_TOKEN" {
			require.Equal(t, "${"+v+":-}", raw, "%s must be passed through from the host (${%s:-}), never written into the compose file", v, v)
		}
	}
}

func TestComposeBuildsIrbotFromDeployDockerfile(t *testing.T) {
	c := loadCompose(t)
	b := c.Services["irbot"].Build
	require.NotEmpty(t, b.Context, "irbot must be built from this repository")
	df := b.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	require.Equal(t, "deploy/Dockerfile", filepath.ToSlash(df))
	_, err := os.Stat(filepath.Join(repoRoot, b.Context, df))
	require.NoError(t, err, "irbot's build points at %s in context %s, which does not exist", df, b.Context)
	_, err = os.Stat(filepath.Join(repoRoot, b.Context, "go.mod"))
	require.NoError(t, err, "irbot's build context must be the module root")
}

func TestComposeImagesArePinned(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Image == "" || name == "irbot" {
			continue
		}
		img, tag := imageName(s.Image)
		require.NotEmpty(t, tag, "service %s: image %s has no tag: a pull could change the server under us", name, img)
		require.NotEqual(t, "latest", tag, "service %s: pin %s to a version, not latest", name, img)
	}
	// The cluster runs the release line the embedded server is pinned to, so
	// what works embedded works scaled out.
	mod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*go\.temporal\.io/server v(\d+\.\d+)\.`).FindSubmatch(mod)
	require.NotNil(t, m, "go.mod must require go.temporal.io/server")
	for name, s := range c.Services {
		img, tag := imageName(s.Image)
		if img == "temporalio/server" || img == "temporalio/admin-tools" {
			require.True(t, strings.HasPrefix(tag, string(m[1])+"."), "service %s runs %s:%s, but irbot embeds go.temporal.io/server v%s", name, img, tag, m[1])
		}
	}
}

// TestComposeBindMountsExist: a missing host file would be created by Docker
// as an empty directory and the service would fail in confusing ways.
func TestComposeBindMountsExist(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, "./") {
				require.Contains(t, c.Volumes, src, "service %s mounts volume %q, which is not declared under volumes:", name, src)
				continue
			}
			_, err := os.Stat(filepath.Join(repoRoot, src))
			require.NoError(t, err, "service %s mounts %s, which does not exist in the repository", name, src)
		}
	}
}

// TestComposeDatabaseIsCreatedByInitScript checks that the role and database
// in irbot's IRBOT_DATABASE_URL are the ones the PostgreSQL init script
// creates, with the same password variable, and that Temporal uses the
// credentials PostgreSQL is started with.
func TestComposeDatabaseIsCreatedByInitScript(t *testing.T) {
	c := loadCompose(t)
	pg := c.Services["postgresql"]
	var script string
	for _, v := range pg.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[1], "/docker-entrypoint-initdb.d/") {
			script = parts[0]
		}
	}
	require.NotEmpty(t, script, "postgresql must mount an init script into /docker-entrypoint-initdb.d to create irbot's database")
	body, err := os.ReadFile(filepath.Join(repoRoot, script))
	require.NoError(t, err)

	roles := regexp.MustCompile(`(?i)CREATE\s+(?:ROLE|USER)\s+"?(\w+)"?`).FindAllStringSubmatch(string(body), -1)
	dbs := regexp.MustCompile(`(?i)CREATE\s+DATABASE\s+"?(\w+)"?(?:\s+OWNER\s+"?(\w+)"?)?`).FindAllStringSubmatch(string(body), -1)
	created := func(ms [][]string) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m[1])
		}
		return out
	}

	raw := c.Services["irbot"].Environment["IRBOT_DATABASE_URL"]
	u, err := url.Parse(interpolate(raw))
	require.NoError(t, err)
	user := u.User.Username()
	db := strings.TrimPrefix(u.Path, "/")
	require.Contains(t, created(roles), user, "IRBOT_DATABASE_URL logs in as %q, but %s creates no such role", user, script)
	require.Contains(t, created(dbs), db, "IRBOT_DATABASE_URL uses database %q, but %s does not create it", db, script)
	for _, m := range dbs {
		if m[1] == db {
			require.Equal(t, user, m[2], "database %s must be owned by %s so irbot can run its migrations", db, user)
		}
	}
	require.Equal(t, "disable", u.Query().Get("sslmode"), "the compose PostgreSQL has no TLS: sslmode=disable")

	// The URL's password and the init script's must be the same variable with
	// the same default, or overriding one would lock irbot out.
	rawPass := regexp.MustCompile(`://[^:]+:(.*)@`).FindStringSubmatch(raw)
	require.NotNil(t, rawPass, "IRBOT_DATABASE_URL must carry a password")
	require.Contains(t, string(body), "IRBOT_DB_PASSWORD", "%s must read the password from IRBOT_DB_PASSWORD", script)
	require.Equal(t, pg.Environment["IRBOT_DB_PASSWORD"], rawPass[1], "irbot's database password and the one postgresql creates the role with must come from the same variable and default")

	tmp := c.Services["temporal"].Environment
	require.Equal(t, pg.Environment["POSTGRES_USER"], tmp["POSTGRES_USER"], "temporal must log in as the PostgreSQL superuser the container creates")
	require.Equal(t, pg.Environment["POSTGRES_PASSWORD"], tmp["POSTGRES_PWD"], "temporal's POSTGRES_PWD must match postgresql's POSTGRES_PASSWORD")
	require.Equal(t, "postgresql", tmp["POSTGRES_SEEDS"], "temporal must find PostgreSQL at the postgresql service")
	require.Equal(t, "5432", tmp["DB_PORT"], "temporal's DB_PORT must be PostgreSQL's port (the default is MySQL's 3306)")
	require.Equal(t, "postgres12", tmp["DB"])

	for _, s := range []string{pg.Environment["POSTGRES_PASSWORD"], pg.Environment["IRBOT_DB_PASSWORD"]} {
		require.Regexp(t, `^\$\{[A-Z_]+:-[a-z-]*dev-only\}$`, s, "compose passwords must be overridable variables whose default says dev-only")
	}
}

type slackManifest struct {
	Features struct {
		AppHome struct {
			HomeTabEnabled bool `yaml:"home_tab_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     *bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    *bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled *bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func TestSlackManifestMatchesIrbot(t *testing.T) {
	raw, err := os.ReadFile("slack/manifest.yaml")
	require.NoError(t, err)
	var m slackManifest
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	require.NoError(t, dec.Decode(&m), "deploy/slack/manifest.yaml must be valid YAML")

	require.NotEmpty(t, m.Features.BotUser.DisplayName, "the app needs a bot user")
	require.Len(t, m.Features.SlashCommands, 1)
	cmd := m.Features.SlashCommands[0]
	require.Equal(t, "/incident", cmd.Command)
	require.True(t, strings.HasSuffix(cmd.URL, "/slack/commands"), "slash command URL %q must end with /slack/commands", cmd.URL)
	require.NotEmpty(t, cmd.Description)
	require.Contains(t, cmd.UsageHint, "declare")
	require.NotNil(t, cmd.ShouldEscape)
	require.True(t, *cmd.ShouldEscape, "`role ROLE @user` needs the escaped <@U…> form: a plain @name is not an identity irbot can trust")

	require.True(t, m.Settings.Interactivity.IsEnabled, "buttons and modals need interactivity")
	require.True(t, strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/interactions"), "interactivity URL %q must end with /slack/interactions", m.Settings.Interactivity.RequestURL)
	require.True(t, strings.HasSuffix(m.Settings.EventSubscriptions.RequestURL, "/slack/events"), "events URL %q must end with /slack/events", m.Settings.EventSubscriptions.RequestURL)
	for _, u := range []string{cmd.URL, m.Settings.Interactivity.RequestURL, m.Settings.EventSubscriptions.RequestURL} {
		require.True(t, strings.HasPrefix(u, "https://"), "Slack only calls https URLs, got %q", u)
	}

	require.NotNil(t, m.Settings.SocketModeEnabled, "say explicitly whether the app uses Socket Mode")
	require.True(t, *m.Settings.SocketModeEnabled, "the manifest defaults to Socket Mode: no public URL needed")
	require.NotNil(t, m.Settings.OrgDeployEnabled)
	require.False(t, *m.Settings.OrgDeployEnabled)
	require.NotNil(t, m.Settings.TokenRotationEnabled)
	require.False(t, *m.Settings.TokenRotationEnabled, "irbot uses a long-lived xoxb- token; rotation would expire it")

	// Scopes from platform-facts.md, and what each subscribed event needs.
	need := []string{"commands", "chat:write", "channels:manage", "groups:write", "pins:write", "im:write", "users:read", "users:read.email",
		"channels:history", "groups:history", "reactions:read", "pins:read"}
	eventScopes := map[string][]string{
		"pin_added":             {"pins:read"},
		"reaction_added":        {"reactions:read"},
		"member_joined_channel": {"channels:read", "groups:read"},
		"app_mention":           {"app_mentions:read"},
		"channel_unarchive":     {"channels:read"},
		"group_unarchive":       {"groups:read"},
		"app_home_opened":       {},
	}
	for _, ev := range []string{"pin_added", "reaction_added"} {
		require.Contains(t, m.Settings.EventSubscriptions.BotEvents, ev, "timeline capture needs the %s event", ev)
	}
	require.Contains(t, m.Settings.EventSubscriptions.BotEvents, "member_joined_channel", "newcomers get the card link and their role privately")
	require.Contains(t, m.Settings.EventSubscriptions.BotEvents, "app_home_opened", "the App Home is published when it is opened")
	require.True(t, m.Features.AppHome.HomeTabEnabled, "the App Home tab lists the incidents")
	for _, ev := range m.Settings.EventSubscriptions.BotEvents {
		scopes, known := eventScopes[ev]
		require.True(t, known, "bot event %s is subscribed but irbot does not handle it; drop it or teach this test its scope", ev)
		need = append(need, scopes...)
	}
	for _, s := range need {
		require.Contains(t, m.OAuthConfig.Scopes.Bot, s, "bot scope %s is missing: Slack would answer missing_scope", s)
	}
}

// dockerfileLines returns the Dockerfile's instructions with continuation
// lines joined and comments dropped.
func dockerfileLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("Dockerfile")
	require.NoError(t, err)
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	require.NoError(t, sc.Err())
	return out
}

func TestDockerfileBuildsStaticBinaryAndRunsAsNonRoot(t *testing.T) {
	lines := dockerfileLines(t)
	var stages [][]string
	for _, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			stages = append(stages, nil)
		}
		require.NotEmpty(t, stages, "the Dockerfile must start with FROM, got %q", l)
		stages[len(stages)-1] = append(stages[len(stages)-1], l)
	}
	require.GreaterOrEqual(t, len(stages), 2, "build and runtime must be separate stages: no toolchain in the image")

	var build string
	for _, l := range stages[0] {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = l
		}
	}
	require.NotEmpty(t, build, "the first stage must RUN go build")
	require.Contains(t, build, "CGO_ENABLED=0", "the binary must be static (pure-Go SQLite, no libc in the runtime image)")
	require.Contains(t, build, "./cmd/irbot")
	require.Contains(t, build, "-trimpath")
	require.Contains(t, build, "-X main.version=", "irbot version should print the build's version")
	main, err := os.ReadFile(filepath.Join(repoRoot, "cmd/irbot/main.go"))
	require.NoError(t, err)
	require.Contains(t, string(main), "var version", "-X main.version needs a version variable in package main")

	runtime := stages[len(stages)-1]
	base := strings.Fields(runtime[0])[1]
	var user, entrypoint, cmd string
	var exposed []string
	for _, l := range runtime {
		kw, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(kw) {
		case "USER":
			user = strings.TrimSpace(rest)
		case "ENTRYPOINT":
			entrypoint = strings.TrimSpace(rest)
		case "CMD":
			cmd = strings.TrimSpace(rest)
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(rest)...)
		}
	}
	name, _, _ := strings.Cut(user, ":")
	require.NotEmpty(t, user, "the runtime stage must switch to a non-root USER")
	require.NotContains(t, []string{"root", "0"}, name, "irbot must not run as root")
	require.Equal(t, `["/irbot"]`, entrypoint)
	require.Equal(t, `["serve"]`, cmd)
	require.Contains(t, exposed, "8080")

	// The compose healthcheck runs inside this image: the tool must exist.
	hc := fmt.Sprint(loadCompose(t).Services["irbot"].Healthcheck["test"])
	if strings.Contains(hc, "wget") || strings.Contains(hc, "curl") {
		require.False(t, strings.Contains(base, "distroless") || base == "scratch", "irbot's healthcheck calls wget/curl, which %s does not have", base)
	}
	require.Contains(t, hc, "/readyz", "the healthcheck must ask /readyz, which is true only once Temporal, store and worker are ready")
}

func TestExampleUsersFileIsValidAndFake(t *testing.T) {
	raw, err := os.ReadFile("examples/users.yaml")
	require.NoError(t, err)
	var f struct {
		Users []struct {
			Name        string   `yaml:"name"`
			Email       string   `yaml:"email"`
			SlackID     string   `yaml:"slack_id"`
			Roles       []string `yaml:"roles"`
			TokenSHA256 string   `yaml:"token_sha256"`
		} `yaml:"users"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&f), "deploy/examples/users.yaml must match the users file format in CONTRACT.md")
	require.NotEmpty(t, f.Users)

	roles := []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"}
	seen := map[string]bool{}
	for _, u := range f.Users {
		require.True(t, strings.HasSuffix(u.Email, "@example.com"), "%s: example emails must be @example.com, got %q", u.Name, u.Email)
		require.Regexp(t, `^U0{5,}\d+$`, u.SlackID, "%s: example Slack IDs must be obviously fake (U0000000001)", u.Name)
		require.NotEmpty(t, u.Roles, "%s has no role", u.Name)
		for _, r := range u.Roles {
			require.Contains(t, roles, r, "%s has unknown role %q", u.Name, r)
		}
		// The file documents each token as dev-token-<first name>.
		token := "dev-token-" + strings.ToLower(strings.Fields(u.Name)[0])
		sum := sha256.Sum256([]byte(token))
		require.Equal(t, hex.EncodeToString(sum[:]), u.TokenSHA256, "%s: token_sha256 must be the SHA-256 of %q, as the file's comment says", u.Name, token)
		require.False(t, seen[u.SlackID] || seen[u.TokenSHA256], "%s reuses a Slack ID or token", u.Name)
		seen[u.SlackID], seen[u.TokenSHA256] = true, true
	}
}
