package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestScenarios renders each scenario and checks what must hold whatever the
// values: the pod runs locked down, probes hit the admin port, secrets reach
// the process only as files, and the admin port is never public.
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := mustRender(t, sc.vals)
			checkPodSecurity(t, r)
			checkProbesOnAdmin(t, r)
			checkListeners(t, r)
			checkSecretsAsFiles(t, r)
			checkGracePeriod(t, r)
			checkAdminNotPublic(t, r)
			checkIngress(t, r)
			checkSelectors(t, r)
		})
	}
}

func checkPodSecurity(t *testing.T, r *rendering) {
	t.Helper()
	pod := r.deployment(t).Spec.Template.Spec
	c := r.container(t)
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("pod and container need a securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("runAsNonRoot must be true on the pod and the container")
	}
	if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
		t.Error("the container must run as a numeric non-zero uid")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the root filesystem must be read-only")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("allowPrivilegeEscalation must be false")
	}
	if sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("capabilities must drop ALL and add none, got %+v", sc.Capabilities)
	}
	for what, sp := range map[string]*corev1.SeccompProfile{"pod": psc.SeccompProfile, "container": sc.SeccompProfile} {
		if sp == nil || sp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s seccompProfile must be RuntimeDefault, got %+v", what, sp)
		}
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod must not mount a service account token")
	}
	for _, sa := range all[*corev1.ServiceAccount](r) {
		if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("ServiceAccount %s must turn token automount off", sa.Name)
		}
		if pod.ServiceAccountName != sa.Name {
			t.Errorf("the pod runs as %q, not the chart's ServiceAccount %q", pod.ServiceAccountName, sa.Name)
		}
	}
	// With a read-only root, the data directory needs a volume of its own.
	dataDir := r.env(t)["HIREBRIDGE_DATA_DIR"]
	m, ok := mountAt(c, dataDir)
	if !ok || m.ReadOnly {
		t.Fatalf("HIREBRIDGE_DATA_DIR=%q must be a writable volume mount, mounts: %+v", dataDir, c.VolumeMounts)
	}
	v := volume(t, pod, m.Name)
	if v.EmptyDir == nil && v.PersistentVolumeClaim == nil {
		t.Errorf("the data volume must be an emptyDir or a claim, got %+v", v.VolumeSource)
	}
}

func checkProbesOnAdmin(t *testing.T, r *rendering) {
	t.Helper()
	c := r.container(t)
	adminPort := addrPort(t, r.env(t)["HIREBRIDGE_ADMIN_ADDR"])
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"liveness", c.LivenessProbe, "/livez"},
		{"readiness", c.ReadinessProbe, "/readyz"},
		{"startup", c.StartupProbe, "/livez"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe must be an HTTP GET", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s probe path %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if got := containerPort(t, c, p.probe.HTTPGet.Port); got != adminPort {
			t.Errorf("%s probe hits port %d, but the admin listener is on %d", p.name, got, adminPort)
		}
	}
}

// checkListeners ties the container's named ports to the addresses the
// process listens on.
func checkListeners(t *testing.T, r *rendering) {
	t.Helper()
	env := r.env(t)
	c := r.container(t)
	if got, want := containerPort(t, c, intstr.FromString("http")), addrPort(t, env["HIREBRIDGE_HTTP_ADDR"]); got != want {
		t.Errorf("container port http is %d, HIREBRIDGE_HTTP_ADDR listens on %d", got, want)
	}
	if got, want := containerPort(t, c, intstr.FromString("admin")), addrPort(t, env["HIREBRIDGE_ADMIN_ADDR"]); got != want {
		t.Errorf("container port admin is %d, HIREBRIDGE_ADMIN_ADDR listens on %d", got, want)
	}
}

var secretName = regexp.MustCompile(`(?i)PASSWORD|TOKEN|SECRET|SEED|CREDS|CREDENTIAL`)

// checkSecretsAsFiles: secret-bearing variables are *_FILE paths into a
// mounted Secret, or secretKeyRefs; the secret values themselves appear in
// no object but the Secret.
func checkSecretsAsFiles(t *testing.T, r *rendering) {
	t.Helper()
	c := r.container(t)
	for _, e := range c.Env {
		if secretName.MatchString(e.Name) && !strings.HasSuffix(e.Name, "_FILE") &&
			(e.Value != "" || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
			t.Errorf("env %s carries a secret but not from a secretKeyRef: %+v", e.Name, e)
		}
	}
	pod := r.deployment(t).Spec.Template.Spec
	for name, value := range r.env(t) {
		if !secretName.MatchString(name) {
			continue
		}
		if !strings.HasSuffix(name, "_FILE") {
			t.Errorf("ConfigMap holds %s=%q: secrets must be *_FILE paths", name, value)
			continue
		}
		checkFileFromSecret(t, r, pod, c, name, value)
	}
	if _, ok := r.env(t)["HIREBRIDGE_WEBHOOK_TOKEN_FILE"]; !ok {
		t.Error("HIREBRIDGE_WEBHOOK_TOKEN_FILE is missing: each pod would draw its own token")
	}
	for _, o := range r.objects {
		if o.kind == "Secret" {
			continue
		}
		for _, lit := range secretLiterals {
			if strings.Contains(string(o.raw), lit) {
				t.Errorf("%s %s contains the secret value %q", o.kind, o.name, lit)
			}
		}
	}
}

// checkFileFromSecret follows a *_FILE path to the mount and the Secret key
// behind it, and, for the chart's own Secret, to the key's presence.
func checkFileFromSecret(t *testing.T, r *rendering, pod corev1.PodSpec, c corev1.Container, name, file string) {
	t.Helper()
	m, ok := mountAt(c, path.Dir(file))
	if !ok {
		t.Errorf("%s=%s is in no mounted volume", name, file)
		return
	}
	v := volume(t, pod, m.Name)
	if v.Secret == nil {
		t.Errorf("%s=%s is in volume %s, which is not a Secret", name, file, m.Name)
		return
	}
	key := path.Base(file)
	if len(v.Secret.Items) > 0 && !slices.ContainsFunc(v.Secret.Items, func(k corev1.KeyToPath) bool { return k.Path == key }) {
		t.Errorf("%s=%s: volume %s projects no %s", name, file, m.Name, key)
	}
	if !strings.Contains(name, "_TLS_") && (v.Secret.Optional == nil || !*v.Secret.Optional) {
		for _, s := range all[*corev1.Secret](r) {
			if s.Name == v.Secret.SecretName {
				if _, ok := s.Data[key]; !ok {
					t.Errorf("%s=%s: Secret %s has no key %s", name, file, s.Name, key)
				}
			}
		}
	}
}

func checkGracePeriod(t *testing.T, r *rendering) {
	t.Helper()
	env := r.env(t)
	delay, err1 := time.ParseDuration(env["HIREBRIDGE_SHUTDOWN_DELAY"])
	timeout, err2 := time.ParseDuration(env["HIREBRIDGE_SHUTDOWN_TIMEOUT"])
	sinkClose, err3 := time.ParseDuration(env["HIREBRIDGE_SINK_CLOSE_TIMEOUT"])
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("shutdown durations: %v %v %v", err1, err2, err3)
	}
	if delay <= 0 {
		t.Errorf("HIREBRIDGE_SHUTDOWN_DELAY=%s: load balancers need time to see readiness fail", delay)
	}
	grace := r.deployment(t).Spec.Template.Spec.TerminationGracePeriodSeconds
	// The drain and the sink's close have budgets of their own, one after
	// the other: the pod must outlive both.
	if grace == nil || time.Duration(*grace)*time.Second <= delay+timeout+sinkClose {
		t.Errorf("terminationGracePeriodSeconds %v must exceed shutdown delay %s + timeout %s + sink close timeout %s", grace, delay, timeout, sinkClose)
	}
}

// checkAdminNotPublic: the admin port is only ever on a ClusterIP Service.
func checkAdminNotPublic(t *testing.T, r *rendering) {
	t.Helper()
	adminSeen := false
	for _, s := range all[*corev1.Service](r) {
		for _, p := range s.Spec.Ports {
			if p.TargetPort == intstr.FromString("admin") {
				adminSeen = true
				if s.Spec.Type != corev1.ServiceTypeClusterIP {
					t.Errorf("Service %s (%s) exposes the admin port", s.Name, s.Spec.Type)
				}
			}
			if p.TargetPort != intstr.FromString("admin") && p.TargetPort != intstr.FromString("http") {
				t.Errorf("Service %s port %s targets %v, want a named port", s.Name, p.Name, p.TargetPort.String())
			}
		}
	}
	if !adminSeen {
		t.Error("no Service reaches the admin port, so nothing can scrape /metrics")
	}
	main := one[*corev1.Service](t, r, fullname)
	if !slices.ContainsFunc(main.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == "http" && p.TargetPort == intstr.FromString("http") }) {
		t.Errorf("Service %s must have the http port", main.Name)
	}
}

// checkIngress: every rule routes the webhook path, and only it, to the
// webhook port.
func checkIngress(t *testing.T, r *rendering) {
	t.Helper()
	webhookPath := r.env(t)["HIREBRIDGE_WEBHOOK_PATH"]
	for _, ing := range all[*networkingv1.Ingress](r) {
		if ing.Spec.DefaultBackend != nil {
			t.Errorf("Ingress %s has a default backend: every path would be exposed", ing.Name)
		}
		if len(ing.Spec.Rules) == 0 {
			t.Errorf("Ingress %s has no rules", ing.Name)
		}
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil || len(rule.HTTP.Paths) != 1 {
				t.Fatalf("Ingress %s host %s: want exactly the webhook path, got %+v", ing.Name, rule.Host, rule.HTTP)
			}
			p := rule.HTTP.Paths[0]
			if p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix {
				t.Errorf("Ingress %s path %q is not a Prefix: the token follows the webhook path", ing.Name, p.Path)
			}
			if p.Path != webhookPath {
				t.Errorf("Ingress %s routes %q, want only the webhook path %q", ing.Name, p.Path, webhookPath)
			}
			for _, admin := range []string{"/metrics", "/livez", "/readyz"} {
				if strings.HasPrefix(admin, p.Path) {
					t.Errorf("Ingress %s path %q exposes %s", ing.Name, p.Path, admin)
				}
			}
			svc := p.Backend.Service
			if svc == nil {
				t.Fatalf("Ingress %s has no Service backend", ing.Name)
			}
			backend := one[*corev1.Service](t, r, svc.Name)
			i := slices.IndexFunc(backend.Spec.Ports, func(sp corev1.ServicePort) bool {
				return sp.Name == svc.Port.Name || (svc.Port.Number != 0 && sp.Port == svc.Port.Number)
			})
			if i < 0 || backend.Spec.Ports[i].TargetPort != intstr.FromString("http") {
				t.Errorf("Ingress %s backend %+v does not reach the webhook port", ing.Name, svc.Port)
			}
		}
	}
}

// checkSelectors: every selector of the optional objects picks the pods.
func checkSelectors(t *testing.T, r *rendering) {
	t.Helper()
	dep := r.deployment(t)
	podLabels := labels.Set(dep.Spec.Template.Labels)
	sel := labels.SelectorFromSet(dep.Spec.Selector.MatchLabels)
	if !sel.Matches(podLabels) {
		t.Fatal("the Deployment's selector does not match its pods")
	}
	for _, s := range all[*corev1.Service](r) {
		if !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			t.Errorf("Service %s does not select the pods", s.Name)
		}
	}
	for _, p := range all[*policyv1.PodDisruptionBudget](r) {
		if !labels.SelectorFromSet(p.Spec.Selector.MatchLabels).Matches(podLabels) {
			t.Errorf("PodDisruptionBudget %s does not select the pods", p.Name)
		}
	}
	for _, np := range all[*networkingv1.NetworkPolicy](r) {
		if !labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels).Matches(podLabels) {
			t.Errorf("NetworkPolicy %s does not select the pods", np.Name)
		}
	}
	for _, h := range all[*autoscalingv2.HorizontalPodAutoscaler](r) {
		if h.Spec.ScaleTargetRef.Kind != "Deployment" || h.Spec.ScaleTargetRef.Name != dep.Name {
			t.Errorf("HPA %s scales %+v, not the Deployment", h.Name, h.Spec.ScaleTargetRef)
		}
		if dep.Spec.Replicas != nil {
			t.Error("with an HPA the Deployment must leave replicas to it")
		}
	}
	for _, sm := range all[*monitoringv1.ServiceMonitor](r) {
		scraped := false
		for _, s := range all[*corev1.Service](r) {
			if !labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(s.Labels)) {
				continue
			}
			for _, ep := range sm.Spec.Endpoints {
				if slices.ContainsFunc(s.Spec.Ports, func(p corev1.ServicePort) bool {
					return p.Name == ep.Port && p.TargetPort == intstr.FromString("admin") && ep.Path == "/metrics"
				}) {
					scraped = true
				}
			}
		}
		if !scraped {
			t.Errorf("ServiceMonitor %s scrapes no Service's admin port at /metrics", sm.Name)
		}
	}
	for _, c := range dep.Spec.Template.Spec.TopologySpreadConstraints {
		if c.LabelSelector == nil {
			t.Errorf("topology spread on %s has no label selector", c.TopologyKey)
		}
	}
}

func TestDefaults(t *testing.T) {
	r := mustRender(t, nil)
	env := r.env(t)
	for name, want := range map[string]string{
		// The official NATS chart installed as release "nats".
		"HIREBRIDGE_NATS_URL":       "nats://nats:4222",
		"HIREBRIDGE_SINK":           "nats",
		"HIREBRIDGE_HTTP_ADDR":      ":8080",
		"HIREBRIDGE_ADMIN_ADDR":     ":9090",
		"HIREBRIDGE_DATA_DIR":       "/data",
		"HIREBRIDGE_SHUTDOWN_DELAY": "5s",
	} {
		if env[name] != want {
			t.Errorf("%s=%q, want %q", name, env[name], want)
		}
	}
	for name, v := range env {
		if v == "" {
			t.Errorf("%s is set empty, which overrides the binary's default", name)
		}
	}
	if _, ok := env["HIREBRIDGE_NATS_EMBEDDED_ADDR"]; ok {
		t.Error("HIREBRIDGE_NATS_EMBEDDED_ADDR set by default: the binary treats a set address as explicit")
	}
	for _, off := range []bool{
		has[*networkingv1.Ingress](r), has[*autoscalingv2.HorizontalPodAutoscaler](r),
		has[*monitoringv1.ServiceMonitor](r), has[*networkingv1.NetworkPolicy](r),
	} {
		if off {
			t.Error("an optional object is rendered by default")
		}
	}
	if got := len(all[*corev1.ConfigMap](r)); got != 1 {
		t.Errorf("want only the config ConfigMap by default, got %d ConfigMaps", got)
	}
	dep := r.deployment(t)
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas < 2 {
		t.Error("the default should run at least two replicas against the external broker")
	}
	if len(dep.Spec.Template.Spec.TopologySpreadConstraints) == 0 {
		t.Error("pods should spread over nodes by default")
	}
	c := r.container(t)
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources need CPU and memory requests and a memory limit, got %+v", c.Resources)
	}
	if want := "ghcr.io/hirebridge/hirebridge:" + loadChart(t).Metadata.AppVersion; c.Image != want {
		t.Errorf("image %q, want %q", c.Image, want)
	}
}

func TestGeneratedWebhookToken(t *testing.T) {
	r := mustRender(t, nil)
	s := one[*corev1.Secret](t, r, fullname)
	tok := string(s.Data["webhook-token"])
	// The binary's own rule: at least 16 characters, fit for a URL path.
	if len(tok) < 16 || strings.ContainsAny(tok, "/?#& ") {
		t.Errorf("generated token %q does not satisfy HIREBRIDGE_WEBHOOK_TOKEN's rule", tok)
	}
	r = mustRender(t, values(t, "secrets: {webhookToken: "+webhookToken+"}"))
	if got := string(one[*corev1.Secret](t, r, fullname).Data["webhook-token"]); got != webhookToken {
		t.Errorf("token %q, want the configured %q", got, webhookToken)
	}
}

func TestExistingSecret(t *testing.T) {
	r := mustRender(t, values(t, `
secrets:
  existingSecret: bridge-secrets
  existingSecretKeys:
    webhookToken: token
    natsPassword: nats.password
config:
  nats:
    user: bridge
`))
	if has[*corev1.Secret](r) {
		t.Error("with existingSecret the chart must create no Secret")
	}
	env := r.env(t)
	c := r.container(t)
	pod := r.deployment(t).Spec.Template.Spec
	for name, key := range map[string]string{"HIREBRIDGE_WEBHOOK_TOKEN_FILE": "token", "HIREBRIDGE_NATS_PASSWORD_FILE": "nats.password"} {
		file := env[name]
		if path.Base(file) != key {
			t.Errorf("%s=%q, want a file named after key %q", name, file, key)
			continue
		}
		m, ok := mountAt(c, path.Dir(file))
		if !ok || volume(t, pod, m.Name).Secret == nil || volume(t, pod, m.Name).Secret.SecretName != "bridge-secrets" {
			t.Errorf("%s is not in a mount of Secret bridge-secrets", name)
		}
	}
	for _, absent := range []string{"HIREBRIDGE_NATS_TOKEN_FILE", "HIREBRIDGE_NATS_CREDS_FILE", "HIREBRIDGE_NATS_NKEY_SEED_FILE"} {
		if _, ok := env[absent]; ok {
			t.Errorf("%s set though existingSecretKeys names no such key", absent)
		}
	}
}

// TestChecksumRollsPods: a configuration change changes the pod template, so
// the Deployment rolls; the same values render the same template.
func TestChecksumRollsPods(t *testing.T) {
	annotation := func(doc, key string) string {
		t.Helper()
		a := mustRender(t, values(t, doc)).deployment(t).Spec.Template.Annotations[key]
		if a == "" {
			t.Fatalf("pod template has no %s annotation", key)
		}
		return a
	}
	base := annotation("", "checksum/config")
	if again := annotation("", "checksum/config"); again != base {
		t.Errorf("the same values gave checksums %s and %s: pods would roll on every upgrade", base, again)
	}
	for _, change := range []string{"config: {logLevel: debug}", "config: {nats: {stream: OTHER}}", "config: {shutdownDelaySeconds: 7}"} {
		if got := annotation(change, "checksum/config"); got == base {
			t.Errorf("%s left checksum/config unchanged", change)
		}
	}
	sec := annotation("", "checksum/secret")
	if got := annotation("secrets: {natsPassword: other}", "checksum/secret"); got == sec {
		t.Error("a new secret value left checksum/secret unchanged")
	}
}

func TestOptionalObjects(t *testing.T) {
	r := mustRender(t, values(t, natsAllOn))
	for what, ok := range map[string]bool{
		"Ingress":                 has[*networkingv1.Ingress](r),
		"HorizontalPodAutoscaler": has[*autoscalingv2.HorizontalPodAutoscaler](r),
		"PodDisruptionBudget":     has[*policyv1.PodDisruptionBudget](r),
		"ServiceMonitor":          has[*monitoringv1.ServiceMonitor](r),
		"NetworkPolicy":           has[*networkingv1.NetworkPolicy](r),
	} {
		if !ok {
			t.Errorf("%s not rendered though enabled", what)
		}
	}
	np := one[*networkingv1.NetworkPolicy](t, r, fullname)
	for _, rule := range np.Spec.Ingress {
		for _, p := range rule.Ports {
			if p.Port != nil && *p.Port == intstr.FromString("admin") && len(rule.From) == 0 {
				t.Error("the NetworkPolicy opens the admin port to every source")
			}
		}
	}
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || len(np.Spec.Egress) < 2 {
		t.Errorf("restrictEgress should allow DNS and egressTo only, got %+v", np.Spec.Egress)
	}
	pdb := one[*policyv1.PodDisruptionBudget](t, r, fullname)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
		t.Errorf("PDB: want maxUnavailable 1 alone, got %+v", pdb.Spec)
	}
	if !strings.Contains(r.notes, "https://hooks.example.com/webhooks/hirempire/<TOKEN>") ||
		!strings.Contains(r.notes, "https://hooks.example.org/webhooks/hirempire/<TOKEN>") {
		t.Errorf("NOTES must give the webhook URL of each Ingress host, got:\n%s", r.notes)
	}
	if strings.Contains(r.notes, webhookToken) {
		t.Error("NOTES print the webhook token")
	}
	spread := map[string]bool{}
	for _, c := range r.deployment(t).Spec.Template.Spec.TopologySpreadConstraints {
		spread[c.TopologyKey] = true
	}
	for _, key := range []string{"kubernetes.io/hostname", "topology.kubernetes.io/zone", "kubernetes.io/arch"} {
		if !spread[key] {
			t.Errorf("no topology spread over %s", key)
		}
	}
	checkDashboard(t, r)
}

// checkDashboard: the dashboard is valid JSON and charts each series the
// service exports.
func checkDashboard(t *testing.T, r *rendering) {
	t.Helper()
	cm := one[*corev1.ConfigMap](t, r, fullname+"-dashboard")
	if cm.Labels["grafana_dashboard"] != "1" {
		t.Error("the dashboard ConfigMap lacks the Grafana sidecar label")
	}
	var dash struct {
		Panels []struct {
			Targets []struct{ Expr string } `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal([]byte(cm.Data["hirebridge.json"]), &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	var exprs strings.Builder
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			fmt.Fprintln(&exprs, tg.Expr)
		}
	}
	for _, series := range []string{
		"hirebridge_events_total", "hirebridge_http_responses_total", "hirebridge_publish_duration_seconds_bucket",
		"hirebridge_dead_letters_total", "hirebridge_requests_in_flight",
		"hirebridge_spool_events", "hirebridge_spool_bytes", "hirebridge_spool_oldest_age_seconds",
		"hirebridge_spool_dead_lettered_total", "hirebridge_spool_quarantine_events", "hirebridge_spool_quarantined_total",
		"hirebridge_spool_salvageable_events", "hirebridge_spool_salvaged_events", "hirebridge_spool_missing_events",
		"go_goroutines", "process_cpu_seconds_total", "process_resident_memory_bytes",
	} {
		if !strings.Contains(exprs.String(), series) {
			t.Errorf("the dashboard charts no %s", series)
		}
	}
}

// TestRefusals: values that would deploy something broken fail the install.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct{ name, vals, want string }{
		// values.schema.json
		{"log level", "config: {logLevel: loud}", "logLevel"},
		{"sink", "config: {sink: rabbitmq}", "sink"},
		{"short token", "secrets: {webhookToken: short}", "webhookToken"},
		{"token with slash", "secrets: {webhookToken: abcdefgh/ijklmnopq}", "webhookToken"},
		{"duration", "config: {publishTimeout: ten seconds}", "publishTimeout"},
		{"misspelt key", "config: {nats: {urll: nats://x:4222}}", "urll"},
		{"webhook path", "config: {webhookPath: hooks}", "webhookPath"},
		{"stream replicas", "config: {nats: {streamReplicas: 7}}", "streamReplicas"},
		{"sasl mechanism", "config: {kafka: {saslMechanism: GSSAPI}}", "saslMechanism"},
		{"port", "containerPorts: {admin: 70000}", "admin"},
		// the templates' own checks
		{"grace period", "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds"},
		{"kafka brokers", "config: {sink: kafka}", "config.kafka.brokers"},
		{"embedded with replicas", "config: {nats: {url: ''}}", "config.nats.url"},
		{"existing secret keys", "secrets: {existingSecret: s, existingSecretKeys: {webhookToken: ''}}", "existingSecretKeys.webhookToken"},
		{"plain secret env", "extraEnv: [{name: API_TOKEN, value: hunter2hunter2}]", "API_TOKEN"},
		{"sasl without user", "config: {sink: kafka, kafka: {brokers: 'k:9092', saslMechanism: PLAIN}}", "saslUsername"},
		{"half a client cert", "config: {nats: {tls: {enabled: true, secretName: x, certKey: tls.crt}}}", "keyKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, values(t, tc.vals))
			if err == nil {
				t.Fatalf("%s rendered; want it refused", tc.vals)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not name %q: %v", tc.want, err)
			}
		})
	}
}

func mountAt(c corev1.Container, dir string) (corev1.VolumeMount, bool) {
	for _, m := range c.VolumeMounts {
		if m.MountPath == dir {
			return m, true
		}
	}
	return corev1.VolumeMount{}, false
}

func volume(t *testing.T, pod corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %q", name)
	return corev1.Volume{}
}

func containerPort(t *testing.T, c corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	if p.Type == intstr.Int {
		return p.IntVal
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort
		}
	}
	t.Fatalf("container has no port named %q", p.StrVal)
	return 0
}

func addrPort(t *testing.T, addr string) int32 {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	return int32(n)
}
