package tinyhttp_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/tinyhttptest"
)

// TestClientAddr walks X-Forwarded-For and Forwarded from the right, through
// trusted proxies only.
func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	proxy := &net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1}
	stranger := &net.TCPAddr{IP: net.ParseIP("198.51.100.9"), Port: 1}
	type hdr struct{ name, value string }
	tests := []struct {
		name    string
		peer    net.Addr
		headers []hdr
		xff     string // ClientAddr's answer ("invalid IP" for the zero Addr)
		fwd     string // ForwardedClientAddr's
	}{
		{"direct client: headers ignored", stranger,
			[]hdr{{"X-Forwarded-For", "1.1.1.1"}, {"Forwarded", "for=1.1.1.1"}}, "198.51.100.9", "198.51.100.9"},
		{"one trusted proxy", proxy,
			[]hdr{{"X-Forwarded-For", "203.0.113.5"}, {"Forwarded", "for=203.0.113.5;proto=https"}}, "203.0.113.5", "203.0.113.5"},
		{"forged entries left of the client", proxy,
			[]hdr{{"X-Forwarded-For", "6.6.6.6, 203.0.113.5, 10.1.2.3"}, {"Forwarded", `for=6.6.6.6, for=203.0.113.5, for="10.1.2.3:80"`}},
			"203.0.113.5", "203.0.113.5"},
		{"several field lines", proxy,
			[]hdr{{"X-Forwarded-For", "6.6.6.6"}, {"X-Forwarded-For", "203.0.113.5, 10.9.9.9"}, {"Forwarded", "for=6.6.6.6"}, {"forwarded", "For=203.0.113.5, for=10.9.9.9"}},
			"203.0.113.5", "203.0.113.5"},
		{"IPv6, bracketed with ports", proxy,
			[]hdr{{"X-Forwarded-For", "[2001:db8::5]:4711, 2001:db8:ffff::1"}, {"Forwarded", `for="[2001:db8::5]:4711", for="[2001:db8:ffff::1]"`}},
			"2001:db8::5", "2001:db8::5"},
		{"all trusted: the leftmost", proxy,
			[]hdr{{"X-Forwarded-For", "10.0.0.7"}, {"Forwarded", "for=10.0.0.7"}}, "10.0.0.7", "10.0.0.7"},
		{"no header: the proxy", proxy, nil, "10.0.0.1", "10.0.0.1"},
		{"garbage ends the walk at the last known hop", proxy,
			[]hdr{{"X-Forwarded-For", "203.0.113.5, junk, 10.0.0.8"}, {"Forwarded", `for=203.0.113.5, for="_hidden", for=10.0.0.8`}},
			"10.0.0.8", "10.0.0.8"},
		{"unknown node", proxy, []hdr{{"Forwarded", "for=unknown"}}, "10.0.0.1", "10.0.0.1"},
		{"quoted comma in Forwarded", proxy, []hdr{{"Forwarded", `for=203.0.113.5;x="a,b"`}}, "10.0.0.1", "203.0.113.5"},
		{"unbracketed IPv6 in Forwarded is invalid", proxy, []hdr{{"Forwarded", "for=2001:db8::5"}}, "10.0.0.1", "10.0.0.1"},
		{"IPv4-mapped peer matches IPv4 prefixes", &net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.1"), Port: 1},
			[]hdr{{"X-Forwarded-For", "203.0.113.5"}}, "203.0.113.5", "10.0.0.1"},
		{"Unix socket peer counts as trusted", nil,
			[]hdr{{"X-Forwarded-For", "203.0.113.5"}}, "203.0.113.5", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := tinyhttptest.NewRequest(tinyhttp.MethodGet, "/", nil).WithRemoteAddr(tt.peer)
			for _, h := range tt.headers {
				tr.WithHeader(h.name, h.value)
			}
			r := tr.Request()
			if got := tinyhttp.ClientAddr(r, trusted); got.String() != tt.xff {
				t.Errorf("ClientAddr = %v, want %v", got, tt.xff)
			}
			if got := tinyhttp.ForwardedClientAddr(r, trusted); got.String() != tt.fwd {
				t.Errorf("ForwardedClientAddr = %v, want %v", got, tt.fwd)
			}
		})
	}
}
