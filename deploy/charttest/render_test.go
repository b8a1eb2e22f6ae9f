package charttest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

const chartDir = "../helm/kvportal"

// kubeVersion is the cluster the chart is rendered for: Helm's client-only
// default is older than the chart's kubeVersion floor (policy/v1 and
// autoscaling/v2 need newer).
var kubeVersion = func() *common.KubeVersion {
	v, err := common.ParseKubeVersion("v1.33.0")
	if err != nil {
		panic(err)
	}
	return v
}()

// setups are the values files the chart ships for the three common
// deployments; each is rendered and checked on its own.
var setups = []string{"values-external-postgres.yaml", "values-pgbouncer.yaml", "values-sso.yaml"}

// The kinds the chart may emit, and nothing else: a manifest of any other
// kind, or with a field its type lacks, fails to decode.
var decoder = func() runtime.Decoder {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, autoscalingv2.AddToScheme, batchv1.AddToScheme,
		corev1.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// rendered is one install's manifests, decoded, hooks included.
type rendered struct {
	release *release.Release
	// text is every manifest as Helm rendered it, hooks and notes included.
	text    string
	objects []runtime.Object
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	return ch
}

// valuesOf reads a set-up's values file and lays overrides over it.
func valuesOf(t *testing.T, file string, overrides map[string]any) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if file != "" {
		v, err := common.ReadValuesFile(filepath.Join(chartDir, file))
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		vals = v
	}
	return merge(vals, overrides)
}

// merge lays src over dst, maps merged key by key.
func merge(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = merge(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// install renders the chart as `helm install --dry-run=client` would: the
// schema is checked, the hooks rendered, no cluster is asked.
func install(t *testing.T, vals map[string]any) (*release.Release, error) {
	t.Helper()
	in := action.NewInstall(action.NewConfiguration())
	in.DryRunStrategy = action.DryRunClient
	in.Replace = true
	in.ReleaseName = "kvp"
	in.Namespace = "portal"
	in.KubeVersion = kubeVersion
	r, err := in.Run(loadChart(t), vals)
	if err != nil {
		return nil, err
	}
	rel, ok := r.(*release.Release)
	if !ok {
		return nil, fmt.Errorf("install returned a %T", r)
	}
	return rel, nil
}

// render installs and decodes every manifest strictly.
func render(t *testing.T, vals map[string]any) rendered {
	t.Helper()
	rel, err := install(t, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	out := rendered{release: rel, text: rel.Manifest + "\n" + rel.Info.Notes}
	docs := splitDocs(rel.Manifest)
	for _, h := range rel.Hooks {
		out.text += "\n" + h.Manifest
		docs = append(docs, splitDocs(h.Manifest)...)
	}
	for _, doc := range docs {
		obj, _, err := decoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("strict decode: %v\n%s", err, doc)
		}
		out.objects = append(out.objects, obj)
	}
	return out
}

// splitDocs splits a YAML stream into its non-empty documents.
func splitDocs(manifest string) []string {
	var docs []string
	for _, d := range strings.Split(manifest, "\n---") {
		body := strings.TrimSpace(stripComments(d))
		if body != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func objectsOf[T runtime.Object](r rendered) []T {
	var out []T
	for _, o := range r.objects {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}
