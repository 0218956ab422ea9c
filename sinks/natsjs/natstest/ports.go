//go:build linux

package natstest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// freePorts returns n ports of 127.0.0.1 that nothing listens on now, for
// servers whose ports must be known before they start (each one's routes
// name the others') and stay the same when one restarts.
//
// They are drawn below the kernel's ephemeral range: a port from that range
// could meanwhile become the local port of some outgoing connection (every
// client of every test opens some) and a server restarted on it would find
// it taken. Below the range, only another test choosing ports the same way
// could take one, and it checks too.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	lo, hi := 10000, ephemeralStart()
	if hi-lo < 1000 {
		t.Fatalf("the ephemeral port range starts at %d: no room below it for fixed ports", hi)
	}
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			t.Fatalf("found %d free ports of %d in 1000 tries", len(ports), n)
		}
		p := lo + rand.IntN(hi-lo)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		// Held until all are chosen, so the same port is not chosen twice.
		held = append(held, l)
		ports = append(ports, p)
	}
	return ports
}

// ephemeralStart is the first port the kernel hands out for outgoing
// connections and listeners on port 0.
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		var lo, hi int
		if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &lo, &hi); err == nil {
			return lo
		}
	}
	return 32768
}
