package charttest

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// The variables the portal reads that hold secrets (config/config.go, and
// the pooler's direct URL): each must come from the existing Secret, under
// its own name, and never be written into a manifest.
var secretVars = []string{
	"DATABASE_URL", "DATABASE_DIRECT_URL",
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"PORTAL_SESSION_KEY", "PORTAL_SECRET_KEY", "PORTAL_OIDC_CLIENT_SECRET",
	"PORTAL_WEBHOOK_URL", "PORTAL_WEBHOOK_SECRET",
}

// How long the portal itself may take to stop after SIGTERM: `portal serve`
// gives HTTP 30 s to drain, then the provisioner its soft stop (30 s,
// provisioner.DefaultStopGrace) and 15 s more before it gives up. A pod
// killed sooner cuts off CreateInstance calls it could have finished.
const (
	serveStopSeconds     = 30 + 30 + 15
	provisionStopSeconds = 30 + 15
)

func TestLintEachSetup(t *testing.T) {
	for _, file := range setups {
		t.Run(file, func(t *testing.T) {
			l := action.NewLint()
			l.Strict = true
			l.Namespace = "portal"
			l.KubeVersion = kubeVersion
			res := l.Run([]string{chartDir}, valuesOf(t, file, nil))
			if res.TotalChartsLinted != 1 {
				t.Fatalf("linted %d charts, want 1", res.TotalChartsLinted)
			}
			for _, err := range res.Errors {
				t.Errorf("lint: %v", err)
			}
		})
	}
}

func TestSetupsRenderValidObjects(t *testing.T) {
	for _, file := range setups {
		t.Run(file, func(t *testing.T) {
			r := render(t, valuesOf(t, file, nil))
			webs := deploymentsOf(r, "web")
			if len(webs) != 1 {
				t.Fatalf("%d web Deployments, want 1", len(webs))
			}
			if n := len(objectsOf[*corev1.Service](r)); n != 1 {
				t.Errorf("%d Services, want 1", n)
			}
			if n := len(objectsOf[*autoscalingv2.HorizontalPodAutoscaler](r)); n != 1 {
				t.Errorf("%d HorizontalPodAutoscalers, want 1", n)
			}
			if n := len(objectsOf[*batchv1.Job](r)); n != 1 {
				t.Errorf("%d Jobs, want 1 (the migration hook)", n)
			}
			if webs[0].Spec.Replicas != nil {
				t.Error("the web Deployment sets replicas while the autoscaler owns them: every upgrade would reset the count")
			}
			checkSelectors(t, r)
			checkPods(t, r)
			checkSecrets(t, r, "kvportal-secrets")
			checkMigrationHook(t, r)
		})
	}
}

func TestPgBouncerSetupPassesPoolerAndDirectURL(t *testing.T) {
	r := render(t, valuesOf(t, "values-pgbouncer.yaml", nil))
	if len(deploymentsOf(r, "provisioner")) != 1 {
		t.Fatal("no provisioner Deployment")
	}
	for _, c := range containersOf(r) {
		if v := envValue(c.env, "PORTAL_DB_POOLER"); v != "transaction" {
			t.Errorf("%s: PORTAL_DB_POOLER = %q, want transaction", c.where, v)
		}
		if ref := secretRef(c.env, "DATABASE_DIRECT_URL"); ref == nil {
			t.Errorf("%s: no DATABASE_DIRECT_URL from the Secret", c.where)
		}
	}
	// Without a pooler the portal must not be told of one.
	plain := render(t, valuesOf(t, "values-external-postgres.yaml", nil))
	for _, c := range containersOf(plain) {
		if hasEnv(c.env, "PORTAL_DB_POOLER") || hasEnv(c.env, "DATABASE_DIRECT_URL") {
			t.Errorf("%s: pooler variables set without a pooler", c.where)
		}
	}
}

func TestSSOSetupPassesOIDC(t *testing.T) {
	r := render(t, valuesOf(t, "values-sso.yaml", nil))
	want := map[string]string{
		"PORTAL_OIDC_ISSUER":           "https://keycloak.example.com/realms/platform",
		"PORTAL_OIDC_CLIENT_ID":        "kvportal",
		"PORTAL_OIDC_ADMIN_GROUPS":     "kv-admins",
		"PORTAL_OIDC_APPROVER_GROUPS":  "kv-approvers",
		"PORTAL_OIDC_REQUESTER_GROUPS": "kv-developers,kv-contractors",
		"PORTAL_OIDC_TEAM_GROUPS":      "kv-pay=payments,kv-search=search",
		"PORTAL_LOCAL_LOGIN":           "false",
		"PORTAL_PUBLIC_URL":            "https://portal.example.com",
	}
	for _, c := range containersOf(r) {
		for name, v := range want {
			if got := envValue(c.env, name); got != v {
				t.Errorf("%s: %s = %q, want %q", c.where, name, got, v)
			}
		}
		if secretRef(c.env, "PORTAL_OIDC_CLIENT_SECRET") == nil {
			t.Errorf("%s: no PORTAL_OIDC_CLIENT_SECRET from the Secret", c.where)
		}
		if secretRef(c.env, "PORTAL_WEBHOOK_URL") == nil {
			t.Errorf("%s: webhook enabled but no PORTAL_WEBHOOK_URL from the Secret", c.where)
		}
	}
}

// The chart takes no secret value: a secret typed into the values, where
// an operator might put one (env, by the variable's name), is refused by
// the schema, and in no case reaches a rendered manifest.
func TestSecretValuesNeverRendered(t *testing.T) {
	for _, file := range setups {
		for _, name := range secretVars {
			sentinel := "sentinel-" + strings.ToLower(strings.ReplaceAll(name, "_", "-")) + "-4f1c9a"
			vals := valuesOf(t, file, map[string]any{"env": map[string]any{name: sentinel}})
			rel, err := install(t, vals)
			if err == nil {
				t.Errorf("%s: env.%s was accepted", file, name)
				if strings.Contains(manifestText(rel), sentinel) {
					t.Errorf("%s: the value of %s was rendered", file, name)
				}
			}
		}
	}
	// A non-secret variable passes, as a plain value.
	r := render(t, valuesOf(t, "values-external-postgres.yaml",
		map[string]any{"env": map[string]any{"PORTAL_MAX_ATTEMPTS": 5, "OTEL_SERVICE_NAME": "kvportal"}}))
	for _, c := range containersOf(r) {
		if envValue(c.env, "PORTAL_MAX_ATTEMPTS") != "5" || envValue(c.env, "OTEL_SERVICE_NAME") != "kvportal" {
			t.Errorf("%s: env not passed: %v", c.where, c.env)
		}
	}
}

func TestSchemaRejectsBadValues(t *testing.T) {
	bad := map[string]map[string]any{
		"an unknown top-level key":       {"replicaCount": 3},
		"a pooler mode the portal lacks": {"database": map[string]any{"pooler": "session"}},
		"a grace shorter than the stop":  {"web": map[string]any{"terminationGracePeriodSeconds": 10}},
		"a port that is not a number":    {"web": map[string]any{"port": "http"}},
		"a privileged port":              {"web": map[string]any{"port": 80}},
		"an endpoint that is no URL":     {"kvstore": map[string]any{"endpoint": "r-kvstore.aliyuncs.com"}},
		"an ingress path without /":      {"ingress": map[string]any{"hosts": []any{map[string]any{"host": "a.example.com", "paths": []any{"x"}}}}},
	}
	for what, overrides := range bad {
		_, err := install(t, valuesOf(t, "values-external-postgres.yaml", overrides))
		if err == nil {
			t.Errorf("%s: accepted", what)
			continue
		}
		if !strings.Contains(err.Error(), "schema") {
			t.Errorf("%s: refused, but not by the schema: %v", what, err)
		}
	}
}

func TestDefaultsNeedTheSecret(t *testing.T) {
	_, err := install(t, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "secrets.existingSecret") {
		t.Fatalf("rendered without secrets.existingSecret (err %v)", err)
	}
	// With it, the chart's own defaults render: no ingress, no separate
	// provisioner, the simulator.
	r := render(t, map[string]any{"secrets": map[string]any{"existingSecret": "s"}})
	if len(objectsOf[*networkingv1.Ingress](r)) != 0 || len(deploymentsOf(r, "provisioner")) != 0 {
		t.Error("defaults render an Ingress or a provisioner Deployment")
	}
	checkSelectors(t, r)
	checkPods(t, r)
	checkSecrets(t, r, "s")
}

func TestNoAutoscalerMeansFixedReplicas(t *testing.T) {
	r := render(t, valuesOf(t, "values-external-postgres.yaml",
		map[string]any{"web": map[string]any{"autoscaling": map[string]any{"enabled": false}, "replicas": 3}}))
	if len(objectsOf[*autoscalingv2.HorizontalPodAutoscaler](r)) != 0 {
		t.Error("an autoscaler while disabled")
	}
	web := deploymentsOf(r, "web")[0]
	if web.Spec.Replicas == nil || *web.Spec.Replicas != 3 {
		t.Errorf("web replicas %v, want 3", web.Spec.Replicas)
	}
}

func manifestText(rel *release.Release) string {
	if rel == nil {
		return ""
	}
	s := rel.Manifest + rel.Info.Notes
	for _, h := range rel.Hooks {
		s += h.Manifest
	}
	return s
}

func deploymentsOf(r rendered, component string) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, d := range objectsOf[*appsv1.Deployment](r) {
		if d.Spec.Template.Labels["app.kubernetes.io/component"] == component {
			out = append(out, d)
		}
	}
	return out
}

// podTemplates are the pods the release makes, by a name for messages.
func podTemplates(r rendered) map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range objectsOf[*appsv1.Deployment](r) {
		out["Deployment "+d.Name] = d.Spec.Template
	}
	for _, j := range objectsOf[*batchv1.Job](r) {
		out["Job "+j.Name] = j.Spec.Template
	}
	return out
}

type container struct {
	where string
	env   []corev1.EnvVar
}

func containersOf(r rendered) []container {
	var out []container
	for name, p := range podTemplates(r) {
		for _, c := range append(slices.Clone(p.Spec.InitContainers), p.Spec.Containers...) {
			out = append(out, container{where: name + "/" + c.Name, env: c.Env})
		}
	}
	return out
}

func hasEnv(env []corev1.EnvVar, name string) bool {
	return slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == name })
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func secretRef(env []corev1.EnvVar, name string) *corev1.SecretKeySelector {
	for _, e := range env {
		if e.Name == name && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

// checkSelectors: every selector picks the pods it is meant for, and only
// those.
func checkSelectors(t *testing.T, r rendered) {
	t.Helper()
	deployments := objectsOf[*appsv1.Deployment](r)
	for _, d := range deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil || sel.Empty() {
			t.Errorf("Deployment %s: selector %v (%v)", d.Name, d.Spec.Selector, err)
			continue
		}
		if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			t.Errorf("Deployment %s: selector %v does not match its pods %v", d.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
		}
		for _, other := range deployments {
			if other != d && sel.Matches(labels.Set(other.Spec.Template.Labels)) {
				t.Errorf("Deployment %s's selector also matches %s's pods", d.Name, other.Name)
			}
		}
	}
	pods := podTemplates(r)
	svcs := objectsOf[*corev1.Service](r)
	for _, s := range svcs {
		sel := labels.SelectorFromSet(s.Spec.Selector)
		var matched []string
		for name, p := range pods {
			if len(s.Spec.Selector) > 0 && sel.Matches(labels.Set(p.Labels)) {
				matched = append(matched, name)
				for _, port := range s.Spec.Ports {
					if !podHasPort(p, port.TargetPort.StrVal, port.TargetPort.IntValue()) {
						t.Errorf("Service %s: target port %s not on %s", s.Name, port.TargetPort.String(), name)
					}
				}
			}
		}
		if len(matched) != 1 || !strings.HasSuffix(matched[0], "-web") {
			t.Errorf("Service %s selects %v, want the web Deployment's pods only", s.Name, matched)
		}
	}
	for _, pdb := range objectsOf[*policyv1.PodDisruptionBudget](r) {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: %v", pdb.Name, err)
			continue
		}
		n := 0
		for _, d := range deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("PodDisruptionBudget %s covers %d Deployments, want 1", pdb.Name, n)
		}
	}
	for _, hpa := range objectsOf[*autoscalingv2.HorizontalPodAutoscaler](r) {
		ref := hpa.Spec.ScaleTargetRef
		ok := slices.ContainsFunc(deployments, func(d *appsv1.Deployment) bool {
			return ref.Kind == "Deployment" && ref.APIVersion == "apps/v1" && ref.Name == d.Name &&
				d.Spec.Template.Labels["app.kubernetes.io/component"] == "web"
		})
		if !ok {
			t.Errorf("HorizontalPodAutoscaler %s scales %v, not the web Deployment", hpa.Name, ref)
		}
	}
	for _, ing := range objectsOf[*networkingv1.Ingress](r) {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rule.HTTP.Paths {
				b := p.Backend.Service
				ok := slices.ContainsFunc(svcs, func(s *corev1.Service) bool {
					return s.Name == b.Name && slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool {
						return sp.Name == b.Port.Name && b.Port.Name != "" || b.Port.Number != 0 && sp.Port == b.Port.Number
					})
				})
				if !ok {
					t.Errorf("Ingress %s: backend %s:%v is no Service port of the release", ing.Name, b.Name, b.Port)
				}
			}
		}
	}
}

func podHasPort(p corev1.PodTemplateSpec, name string, number int) bool {
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if name != "" && cp.Name == name || name == "" && int(cp.ContainerPort) == number {
				return true
			}
		}
	}
	return false
}

// checkPods: the security context, probes, grace and writable directories
// of every pod.
func checkPods(t *testing.T, r rendered) {
	t.Helper()
	for name, p := range podTemplates(r) {
		spec := p.Spec
		psc := spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
			t.Errorf("%s: pod not runAsNonRoot", name)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod seccomp profile not RuntimeDefault", name)
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: mounts a service account token the portal never uses", name)
		}
		emptyDirs := map[string]bool{}
		for _, v := range spec.Volumes {
			if v.EmptyDir != nil {
				emptyDirs[v.Name] = true
			}
		}
		for _, c := range spec.Containers {
			where := name + "/" + c.Name
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: no security context", where)
				continue
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: root filesystem writable", where)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: privilege escalation allowed", where)
			case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities %v, want all dropped and none added", where, sc.Capabilities)
			case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
				t.Errorf("%s: seccomp profile not RuntimeDefault", where)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", where)
			}
			// What the portal writes (PORTAL_DATA_DIR, TMPDIR) must be an
			// emptyDir, the rest of the filesystem being read-only.
			for _, dirVar := range []string{"PORTAL_DATA_DIR", "TMPDIR"} {
				dir := envValue(c.Env, dirVar)
				ok := dir != "" && slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
					return m.MountPath == dir && !m.ReadOnly && emptyDirs[m.Name]
				})
				if !ok {
					t.Errorf("%s: %s=%q is not a writable emptyDir mount", where, dirVar, dir)
				}
			}
			if c.Image != "registry.example.com/platform/kvportal:1.0.0" && c.Image != "kvportal:latest" {
				t.Errorf("%s: image %q", where, c.Image)
			}
		}
	}
	for _, d := range objectsOf[*appsv1.Deployment](r) {
		c := d.Spec.Template.Spec.Containers[0]
		grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
		switch comp := d.Spec.Template.Labels["app.kubernetes.io/component"]; comp {
		case "web":
			if !slices.Equal(c.Args, []string{"serve"}) {
				t.Errorf("web runs %v, want serve", c.Args)
			}
			checkProbe(t, d.Name+" readiness", c.ReadinessProbe, "/readyz", c)
			checkProbe(t, d.Name+" liveness", c.LivenessProbe, "/healthz", c)
			if grace == nil || *grace <= serveStopSeconds {
				t.Errorf("%s: termination grace %v, want more than %d s", d.Name, grace, serveStopSeconds)
			}
			if addr := envValue(c.Env, "PORTAL_ADDR"); !strings.HasPrefix(addr, "0.0.0.0:") || !podHasPort(d.Spec.Template, "", portOf(addr)) {
				t.Errorf("%s: PORTAL_ADDR %q is not the container's port on every interface", d.Name, addr)
			}
		case "provisioner":
			if len(c.Args) < 1 || c.Args[0] != "provision" {
				t.Errorf("provisioner runs %v", c.Args)
			}
			checkProbe(t, d.Name+" liveness", c.LivenessProbe, "/healthz", c)
			checkProbe(t, d.Name+" readiness", c.ReadinessProbe, "/healthz", c)
			i := slices.Index(c.Args, "--metrics-addr")
			if i < 0 || i+1 >= len(c.Args) || !podHasPort(d.Spec.Template, "", portOf(c.Args[i+1])) {
				t.Errorf("%s: --metrics-addr in %v is not the container's port", d.Name, c.Args)
			}
			if grace == nil || *grace <= provisionStopSeconds {
				t.Errorf("%s: termination grace %v, want more than %d s", d.Name, grace, provisionStopSeconds)
			}
		default:
			t.Errorf("Deployment %s of component %q", d.Name, comp)
		}
	}
}

func portOf(addr string) int {
	i := strings.LastIndexByte(addr, ':')
	n := 0
	for _, ch := range addr[i+1:] {
		if ch < '0' || ch > '9' {
			return -1
		}
		n = n*10 + int(ch-'0')
	}
	return n
}

func checkProbe(t *testing.T, what string, p *corev1.Probe, path string, c corev1.Container) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP probe", what)
		return
	}
	if p.HTTPGet.Path != path {
		t.Errorf("%s: probes %s, want %s", what, p.HTTPGet.Path, path)
	}
	if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool {
		return p.HTTPGet.Port.StrVal != "" && cp.Name == p.HTTPGet.Port.StrVal || cp.ContainerPort == p.HTTPGet.Port.IntVal
	}) {
		t.Errorf("%s: port %s is not the container's", what, p.HTTPGet.Port.String())
	}
}

// checkSecrets: each secret variable, wherever set, comes from the Secret
// under its own name; the ones the portal cannot start without are in
// every container.
func checkSecrets(t *testing.T, r rendered, secretName string) {
	t.Helper()
	for _, c := range containersOf(r) {
		for _, e := range c.env {
			if !slices.Contains(secretVars, e.Name) {
				continue
			}
			ref := secretRef(c.env, e.Name)
			if e.Value != "" || ref == nil || ref.Name != secretName || ref.Key != e.Name {
				t.Errorf("%s: %s is not the Secret %s's key %s", c.where, e.Name, secretName, e.Name)
			}
		}
		for _, name := range []string{"DATABASE_URL", "PORTAL_SESSION_KEY", "PORTAL_SECRET_KEY"} {
			if ref := secretRef(c.env, name); ref == nil || ref.Optional != nil && *ref.Optional {
				t.Errorf("%s: %s missing or optional", c.where, name)
			}
		}
		if envValue(c.env, "PORTAL_KVSTORE_ENDPOINT") != "" {
			for _, name := range []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"} {
				if secretRef(c.env, name) == nil {
					t.Errorf("%s: a real endpoint without %s", c.where, name)
				}
			}
		}
	}
	// No Secret or ConfigMap of the chart's own: nothing of a secret is kept
	// in the release.
	for _, o := range r.objects {
		switch o.(type) {
		case *corev1.Secret, *corev1.ConfigMap:
			t.Errorf("the chart renders a %T", o)
		}
	}
	if strings.Contains(r.text, "postgres://") || strings.Contains(r.text, "postgresql://") {
		t.Error("a connection string is in a rendered manifest")
	}
}

// checkMigrationHook: `portal migrate up` runs as a pre-install and
// pre-upgrade hook, and needs nothing the release itself creates (it runs
// before any of it exists).
func checkMigrationHook(t *testing.T, r rendered) {
	t.Helper()
	jobs := objectsOf[*batchv1.Job](r)
	if len(jobs) != 1 {
		t.Fatalf("%d Jobs", len(jobs))
	}
	job := jobs[0]
	events := strings.Split(job.Annotations["helm.sh/hook"], ",")
	if !slices.Contains(events, "pre-install") || !slices.Contains(events, "pre-upgrade") {
		t.Errorf("migration Job hook events %v", events)
	}
	var hook *release.Hook
	for _, h := range r.release.Hooks {
		if h.Kind == "Job" && h.Name == job.Name {
			hook = h
		}
	}
	if hook == nil || !slices.Contains(hook.Events, release.HookPreInstall) || !slices.Contains(hook.Events, release.HookPreUpgrade) {
		t.Errorf("Helm does not see the migration Job as a pre-install/pre-upgrade hook: %+v", hook)
	}
	if strings.Contains(r.release.Manifest, "name: "+job.Name+"\n") {
		t.Error("the migration Job is also an ordinary resource of the release")
	}
	spec := job.Spec.Template.Spec
	if spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("migration restartPolicy %s", spec.RestartPolicy)
	}
	if !slices.Equal(spec.Containers[0].Args, []string{"migrate", "up"}) {
		t.Errorf("migration runs %v", spec.Containers[0].Args)
	}
	owned := map[string]bool{}
	for _, o := range r.objects {
		if m, ok := o.(metav1.Object); ok && o != runtime.Object(job) {
			owned[m.GetName()] = true
		}
	}
	if spec.ServiceAccountName != "" && owned[spec.ServiceAccountName] {
		t.Errorf("the hook uses the release's own ServiceAccount %s", spec.ServiceAccountName)
	}
	for _, e := range spec.Containers[0].Env {
		if ref := secretRefOf(e); ref != nil && owned[ref.Name] {
			t.Errorf("the hook reads the release's own Secret %s", ref.Name)
		}
	}
}

func secretRefOf(e corev1.EnvVar) *corev1.SecretKeySelector {
	if e.ValueFrom == nil {
		return nil
	}
	return e.ValueFrom.SecretKeyRef
}
