package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

const (
	acmeToken   = "acme-token-0123456789"
	globexToken = "globex-token-0123456789"
)

func writeSources(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const twoSources = "- name: acme\n  tokens: [" + acmeToken + "]\n" +
	"- name: globex\n  tokens: [" + globexToken + "]\n  source: https://globex.example\n  strict: true\n"

func TestSourcesFile(t *testing.T) {
	t.Parallel()
	path := writeSources(t, twoSources)
	cfg, err := Load([]string{"HIREBRIDGE_SOURCES_FILE=" + path, "HIREBRIDGE_EVENT_SOURCE=https://acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TokenGenerated || cfg.Bridge.Token != "" {
		t.Errorf("a token was generated beside the sources file")
	}
	srcs := cfg.Bridge.Sources
	if len(srcs) != 2 || srcs[0].EventSource != "https://acme.example" || srcs[0].Strict ||
		srcs[1].EventSource != "https://globex.example" || !srcs[1].Strict {
		t.Errorf("sources %+v, want acme with the defaults and globex with its own", srcs)
	}
}

// Both the file and a token: refused, naming both.
func TestSourcesFileAndTokenRefused(t *testing.T) {
	t.Parallel()
	path := writeSources(t, twoSources)
	_, err := Load([]string{"HIREBRIDGE_SOURCES_FILE=" + path, "HIREBRIDGE_WEBHOOK_TOKEN=" + strings.Repeat("x", 20)})
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_SOURCES_FILE") || !strings.Contains(err.Error(), "HIREBRIDGE_WEBHOOK_TOKEN") {
		t.Errorf("Load: %v, want an error naming both variables", err)
	}
}

// A file that does not parse stops the start with one line naming the
// variable, the file and the line.
func TestSourcesFileBadAtStart(t *testing.T) {
	t.Parallel()
	path := writeSources(t, "- name: acme\n  tokens: ["+acmeToken+"]\n- name: acme\n  tokens: ["+globexToken+"]\n")
	_, err := Load([]string{"HIREBRIDGE_SOURCES_FILE=" + path})
	want := "HIREBRIDGE_SOURCES_FILE: " + path + ": line 3: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Load: %v, want one line starting %q", err, want)
	}
	_, err = Load([]string{"HIREBRIDGE_SOURCES_FILE=" + filepath.Join(t.TempDir(), "missing.yaml")})
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// `hirebridge config` and the start-up log show the sources, never a
// token.
func TestSourcesShownWithoutTokens(t *testing.T) {
	t.Parallel()
	path := writeSources(t, twoSources)
	out := printed(t, []string{"HIREBRIDGE_SOURCES_FILE=" + path})
	hasLine(t, out, `SOURCE acme: source https://app\.hirempire\.com, strict false, 1 tokens`)
	hasLine(t, out, `SOURCE globex: source https://globex\.example, strict true, 1 tokens`)
	cfg, err := Load([]string{"HIREBRIDGE_SOURCES_FILE=" + path})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	log := zerolog.New(&logged)
	log.Info().Object("config", cfg).Msg("")
	if !strings.Contains(logged.String(), `"sources":[{"name":"acme"`) {
		t.Errorf("the config log has no sources: %s", logged.String())
	}
	for _, text := range []string{out, logged.String()} {
		if strings.Contains(text, acmeToken) || strings.Contains(text, globexToken) {
			t.Errorf("a token is shown:\n%s", text)
		}
	}
}

// Several tokens in HIREBRIDGE_WEBHOOK_TOKEN are masked as one.
func TestSeveralTokensNotPrinted(t *testing.T) {
	t.Parallel()
	out := printed(t, []string{"HIREBRIDGE_WEBHOOK_TOKEN=" + acmeToken + "," + globexToken})
	hasLine(t, out, `HIREBRIDGE_WEBHOOK_TOKEN +- +REDACTED`)
	if strings.Contains(out, acmeToken) || strings.Contains(out, globexToken) || strings.Contains(out, "PROBLEM") {
		t.Errorf("the listing shows a token or a problem:\n%s", out)
	}
}
