package tests

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// gomemlimit returns the container's GOMEMLIMIT entries.
func gomemlimit(t *testing.T, r *rendering) []corev1.EnvVar {
	t.Helper()
	var out []corev1.EnvVar
	for _, e := range r.container(t).Env {
		if e.Name == "GOMEMLIMIT" {
			out = append(out, e)
		}
	}
	return out
}

// TestGOMEMLIMIT: the container's GOMEMLIMIT is 90% of its memory limit in
// whole bytes (rounded down), absent without a limit, and the user's own
// when extraEnv sets it.
func TestGOMEMLIMIT(t *testing.T) {
	for _, tc := range []struct{ name, vals, want string }{
		{"defaults 256Mi", "", "241591910"}, // 268435456 * 0.9 = 241591910.4
		{"1Gi", "resources: {limits: {memory: 1Gi}}", "966367641"},
		{"512M", "resources: {limits: {memory: 512M}}", "460800000"},
		{"1.5Gi", "resources: {limits: {memory: 1.5Gi}}", "1449551462"},
		{"500Ki", "resources: {limits: {memory: 500Ki}}", "460800"},
		{"2G", "resources: {limits: {memory: 2G}}", "1800000000"},
		{"1Ti", "resources: {limits: {memory: 1Ti}}", "989560464998"},
		{"1T", "resources: {limits: {memory: 1T}}", "900000000000"},
		{"750k", "resources: {limits: {memory: 750k}}", "675000"},
		{"bytes as a string", "resources: {limits: {memory: '300000000'}}", "270000000"},
		{"bytes as a number", "resources: {limits: {memory: 300000000}}", "270000000"},
		{"with other env", "extraEnv: [{name: GOMAXPROCS, value: '2'}]", "241591910"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRender(t, values(t, tc.vals))
			got := gomemlimit(t, r)
			if len(got) != 1 || got[0].Value != tc.want || got[0].ValueFrom != nil {
				t.Fatalf("GOMEMLIMIT: got %+v, want one entry %q", got, tc.want)
			}
		})
	}

	t.Run("extraEnv kept beside it", func(t *testing.T) {
		r := mustRender(t, values(t, "extraEnv: [{name: GOMAXPROCS, value: '2'}]"))
		env := r.container(t).Env
		if len(env) != 2 || env[1].Name != "GOMAXPROCS" || env[1].Value != "2" {
			t.Errorf("env: got %+v, want GOMEMLIMIT then GOMAXPROCS=2", env)
		}
	})

	t.Run("no memory limit", func(t *testing.T) {
		for _, vals := range []string{
			"resources: {limits: {memory: null}}",
			"resources: {limits: null}",
			"resources: null",
		} {
			r := mustRender(t, values(t, vals))
			if got := gomemlimit(t, r); len(got) != 0 {
				t.Errorf("%s: got GOMEMLIMIT %+v, want none", vals, got)
			}
			if env := r.container(t).Env; len(env) != 0 {
				t.Errorf("%s: got env %+v, want none", vals, env)
			}
		}
	})

	t.Run("set in extraEnv", func(t *testing.T) {
		r := mustRender(t, values(t, "extraEnv: [{name: GOMAXPROCS, value: '2'}, {name: GOMEMLIMIT, value: 200MiB}]"))
		got := gomemlimit(t, r)
		if len(got) != 1 || got[0].Value != "200MiB" {
			t.Errorf("GOMEMLIMIT: got %+v, want only the user's 200MiB", got)
		}
		if env := r.container(t).Env; len(env) != 2 {
			t.Errorf("env: got %+v, want the two extraEnv entries only", env)
		}
	})

	for _, bad := range []string{"lots", "256MiB", "1e9", "100m", "-1Gi", "0", "1.Gi", "99999999999999999999Ti"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			_, err := render(t, values(t, "resources: {limits: {memory: '"+bad+"'}}"))
			if err == nil {
				t.Fatalf("memory limit %q rendered; want it refused", bad)
			}
			if !strings.Contains(err.Error(), "resources.limits.memory") {
				t.Errorf("error does not name resources.limits.memory: %v", err)
			}
		})
	}
}

// TestRequestMemoryBytes: config.requestMemoryBytes reaches the container as
// HIREBRIDGE_REQUEST_MEMORY_BYTES, the service's default unless set.
func TestRequestMemoryBytes(t *testing.T) {
	for _, tc := range []struct{ vals, want string }{
		{"", "33554432"},
		{"config: {requestMemoryBytes: 134217728}", "134217728"},
	} {
		r := mustRender(t, values(t, tc.vals))
		if got := r.env(t)["HIREBRIDGE_REQUEST_MEMORY_BYTES"]; got != tc.want {
			t.Errorf("%q: HIREBRIDGE_REQUEST_MEMORY_BYTES is %q, want %q", tc.vals, got, tc.want)
		}
	}
	for _, tc := range []struct{ name, vals, want string }{
		{"below 4 bodies", "config: {maxBodyBytes: 1048576, requestMemoryBytes: 4194303}", "config.requestMemoryBytes"},
		{"zero", "config: {requestMemoryBytes: 0}", "requestMemoryBytes"},
		{"not a number", "config: {requestMemoryBytes: 64Mi}", "requestMemoryBytes"},
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
	if _, err := render(t, values(t, "config: {maxBodyBytes: 1048576, requestMemoryBytes: 4194304}")); err != nil {
		t.Errorf("exactly 4 times maxBodyBytes: %v", err)
	}
}
