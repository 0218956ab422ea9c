package tests

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestAvailability: in every scenario and example, what SPEC 11 asks of
// the chart for a cluster: two replicas or more (one with the embedded
// server), spread over nodes, a PodDisruptionBudget that lets drains take
// one pod at a time and never blocks them for good, and rolling updates
// that never take the last ready replica, for the Deployment and the
// StatefulSet alike.
func TestAvailability(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.name, func(t *testing.T) {
			r := mustRender(t, sc.vals)
			checkReplicas(t, r)
			checkSpreadOverNodes(t, r)
			checkDisruptionBudget(t, r)
			checkRollingUpdates(t, r)
		})
	}
}

func checkReplicas(t *testing.T, r *rendering) {
	t.Helper()
	env := r.env(t)
	embedded := env["HIREBRIDGE_SINK"] == "nats" && env["HIREBRIDGE_NATS_URL"] == ""
	replicas := r.deployment(t).Spec.Replicas
	for _, h := range all[*autoscalingv2.HorizontalPodAutoscaler](r) {
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
			t.Errorf("the autoscaler may go down to %v replicas, want 2 or more", h.Spec.MinReplicas)
		}
		return
	}
	switch {
	case replicas == nil:
		t.Error("no replica count and no autoscaler")
	case embedded && *replicas != 1:
		t.Errorf("%d replicas with the embedded server, which is one per pod", *replicas)
	case !embedded && *replicas < 2:
		t.Errorf("%d replicas on an external broker, want 2 or more", *replicas)
	}
}

func checkSpreadOverNodes(t *testing.T, r *rendering) {
	t.Helper()
	pod := r.deployment(t).Spec.Template
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if c.TopologyKey == "kubernetes.io/hostname" && c.MaxSkew == 1 && c.LabelSelector != nil &&
			mapsContain(pod.Labels, c.LabelSelector.MatchLabels) {
			return
		}
	}
	t.Errorf("the pods are not spread over nodes: %+v", pod.Spec.TopologySpreadConstraints)
}

// checkDisruptionBudget: a budget that evicts at most one pod at a time
// yet always lets one go, and lets unready pods go whatever it says.
func checkDisruptionBudget(t *testing.T, r *rendering) {
	t.Helper()
	pdb := one[*policyv1.PodDisruptionBudget](t, r, fullname)
	if m := pdb.Spec.MaxUnavailable; m == nil || m.Type != intstr.Int || m.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
		t.Errorf("PodDisruptionBudget %+v, want maxUnavailable 1 alone", pdb.Spec)
	}
	if p := pdb.Spec.UnhealthyPodEvictionPolicy; p == nil || *p != policyv1.AlwaysAllow {
		t.Errorf("unhealthyPodEvictionPolicy %v, want AlwaysAllow: pods all unready would block drains", p)
	}
}

func checkRollingUpdates(t *testing.T, r *rendering) {
	t.Helper()
	if sts := all[*appsv1.StatefulSet](r); len(sts) > 0 {
		s := sts[0].Spec
		if s.PodManagementPolicy != appsv1.OrderedReadyPodManagement {
			t.Errorf("podManagementPolicy %q: with Parallel a rolling update deletes a pod while the others are unready", s.PodManagementPolicy)
		}
		if s.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
			t.Errorf("StatefulSet updateStrategy %+v, want RollingUpdate", s.UpdateStrategy)
		}
		if ru := s.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil && ru.MaxUnavailable.IntValue() != 1 {
			t.Errorf("StatefulSet rolling update takes %v pods at a time, want one", ru.MaxUnavailable)
		}
		if s.MinReadySeconds <= 0 {
			t.Error("StatefulSet minReadySeconds 0: a pod that turns unready right after its start counts as available")
		}
		return
	}
	d := one[*appsv1.Deployment](t, r, fullname).Spec
	ru := d.Strategy.RollingUpdate
	if d.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil || ru.MaxUnavailable == nil ||
		ru.MaxUnavailable.IntValue() != 0 || ru.MaxSurge == nil || ru.MaxSurge.IntValue() < 1 {
		t.Errorf("Deployment strategy %+v, want a rolling update with maxUnavailable 0 and a surge", d.Strategy)
	}
	if d.MinReadySeconds <= 0 {
		t.Error("Deployment minReadySeconds 0: a pod that turns unready right after its start counts as available")
	}
}

// TestDisruptionBudgetNeverBlocksForGood: values that would keep every pod
// from eviction are refused, naming the value; a minAvailable below the
// replica count is kept; the budget can be turned off; on a cluster older
// than 1.27 the chart leaves out the field it does not know.
func TestDisruptionBudgetNeverBlocksForGood(t *testing.T) {
	for _, tc := range []struct{ name, vals, want string }{
		{"maxUnavailable 0", "podDisruptionBudget: {maxUnavailable: 0}", "maxUnavailable"},
		{"maxUnavailable 0%", "podDisruptionBudget: {maxUnavailable: '0%'}", "maxUnavailable"},
		{"minAvailable of one replica", "replicaCount: 1\npodDisruptionBudget: {maxUnavailable: '', minAvailable: 1}", "minAvailable"},
		{"minAvailable of every replica", "podDisruptionBudget: {maxUnavailable: '', minAvailable: 2}", "minAvailable"},
		{"minAvailable 100%", "podDisruptionBudget: {maxUnavailable: '', minAvailable: '100%'}", "minAvailable"},
		{"minAvailable rounded up", "replicaCount: 3\npodDisruptionBudget: {maxUnavailable: '', minAvailable: '70%'}", "minAvailable"},
		{"minAvailable of the autoscaler's least", "autoscaling: {enabled: true, minReplicas: 2}\npodDisruptionBudget: {maxUnavailable: '', minAvailable: 2}", "minAvailable"},
		{"neither", "podDisruptionBudget: {maxUnavailable: '', minAvailable: ''}", "podDisruptionBudget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, values(t, tc.vals))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want it refused naming %s", tc.vals, err, tc.want)
			}
		})
	}

	r := mustRender(t, values(t, "replicaCount: 3\npodDisruptionBudget: {maxUnavailable: '', minAvailable: 2}"))
	pdb := one[*policyv1.PodDisruptionBudget](t, r, fullname)
	if pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() != 2 || pdb.Spec.MaxUnavailable != nil {
		t.Errorf("minAvailable 2 of 3: %+v", pdb.Spec)
	}
	if has[*policyv1.PodDisruptionBudget](mustRender(t, values(t, "podDisruptionBudget: {enabled: false}"))) {
		t.Error("podDisruptionBudget.enabled false still renders one")
	}

	old, err := renderOn(t, "v1.26.0", values(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if p := one[*policyv1.PodDisruptionBudget](t, old, fullname).Spec.UnhealthyPodEvictionPolicy; p != nil {
		t.Errorf("unhealthyPodEvictionPolicy %v rendered for Kubernetes 1.26, which does not have it", *p)
	}
}

func mapsContain(m, sub map[string]string) bool {
	for k, v := range sub {
		if m[k] != v {
			return false
		}
	}
	return true
}
