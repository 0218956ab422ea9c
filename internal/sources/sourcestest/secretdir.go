// Package sourcestest lays out a sources file as Kubernetes mounts a
// Secret, and changes it the two ways files are changed in place: a
// rename over it, and Kubernetes' swap of the ..data symlink.
package sourcestest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// SecretDir is a directory as the kubelet writes a Secret volume: the
// file is a symlink to ..data/<name>, ..data a symlink to a timestamped
// directory holding the content. An update writes a new timestamped
// directory and renames a new symlink over ..data, atomically.
type SecretDir struct {
	dir, name string
	version   int
}

// NewSecretDir lays out name holding content in a new directory.
func NewSecretDir(t testing.TB, name, content string) *SecretDir {
	t.Helper()
	d := &SecretDir{dir: t.TempDir(), name: name}
	if err := os.Symlink(filepath.Join("..data", name), filepath.Join(d.dir, name)); err != nil {
		t.Fatal(err)
	}
	d.Swap(t, content)
	return d
}

// Path is the file's path, as HIREBRIDGE_SOURCES_FILE names it.
func (d *SecretDir) Path() string { return filepath.Join(d.dir, d.name) }

// Swap updates the file as the kubelet does: the old content's directory
// is removed once ..data points at the new one.
func (d *SecretDir) Swap(t testing.TB, content string) {
	t.Helper()
	d.version++
	old := fmt.Sprintf("..2026_%d", d.version-1)
	next := fmt.Sprintf("..2026_%d", d.version)
	if err := os.Mkdir(filepath.Join(d.dir, next), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, next, d.name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(d.dir, "..data_tmp")
	if err := os.Symlink(next, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(d.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if d.version > 1 {
		if err := os.RemoveAll(filepath.Join(d.dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// RenameOver replaces path's content as editors and configuration tools
// do: a new file beside it, renamed over it.
func RenameOver(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
