// Package loadkit holds what the load tools share: distinct events to send
// and the memory of the process under test.
package loadkit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// EventMaker returns the event in file with applicant.id unique per n (and
// per run, tagged tag), so every event is new to the broker rather than a
// duplicate.
func EventMaker(file, tag string) (func(n int64) []byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	applicant, ok := doc["applicant"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: no applicant object", file)
	}
	applicant["id"] = "@ID@"
	tmpl, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	prefix := "app_" + tag + "_" + strconv.FormatInt(time.Now().UnixNano(), 36) + "_"
	return func(n int64) []byte {
		return bytes.Replace(tmpl, []byte("@ID@"), []byte(prefix+strconv.FormatInt(n, 10)), 1)
	}, nil
}

// ProcStatus reads VmRSS and VmHWM (the peak), in bytes, from
// /proc/<pid>/status.
func ProcStatus(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name, value, _ := strings.Cut(s.Text(), ":")
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmRSS":
			rss = kb << 10
		case name == "VmHWM":
			hwm = kb << 10
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no VmRSS for pid %d (a zombie?)", pid)
	}
	return rss, hwm, s.Err()
}

// MiB is b in mebibytes.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }
