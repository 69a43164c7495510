package tinyhttp

// The client's address behind HTTP proxies that name it in X-Forwarded-For
// or Forwarded (RFC 7239). These fields are whatever the client or any proxy
// wrote; only the entries that trusted proxies appended can be believed, so
// the walk goes from the right (the nearest hop) and stops at the first
// address that is not a trusted proxy.

import (
	"net"
	"net/netip"
	"strings"
)

// ClientAddr returns the address of the client that sent r, as far as the
// trusted proxies in front of the server vouch for it, reading
// X-Forwarded-For (as nginx's $proxy_add_x_forwarded_for and HAProxy's
// option forwardfor write it). It starts from the connection's peer
// (RemoteAddr: with ProxyProtocol, the client its header named): while that
// address is in trusted, it steps to the entry before it, from the right
// of the last X-Forwarded-For field line leftwards. The first address not in
// trusted is the client; everything left of it may be forged and is
// ignored. If the list runs out, or an entry is not an IP address, the last
// address reached is returned (the invalid Addr when there is none: a
// request on a Unix socket, whose peer counts as trusted, with no entries).
//
// Only list the proxies that overwrite or append to the field: a proxy in
// trusted that passes on a client's X-Forwarded-For unchanged lets the
// client choose its address.
func ClientAddr(r *Request, trusted []netip.Prefix) netip.Addr {
	return walkForwarded(r, trusted, "X-Forwarded-For", parseXFFHop)
}

// ForwardedClientAddr is ClientAddr reading the for= parameters of the
// Forwarded field (RFC 7239) instead. An obfuscated or "unknown" node ends
// the walk like an entry that is not an address.
func ForwardedClientAddr(r *Request, trusted []netip.Prefix) netip.Addr {
	return walkForwarded(r, trusted, "Forwarded", parseForwardedHop)
}

// walkForwarded steps from the peer leftwards through field's hops while
// the address reached is trusted.
func walkForwarded(r *Request, trusted []netip.Prefix, field string, hop func(string) (netip.Addr, bool)) netip.Addr {
	var cur netip.Addr
	if ta, ok := r.RemoteAddr().(*net.TCPAddr); ok {
		cur = ta.AddrPort().Addr().Unmap()
		if !trustedAddr(cur, trusted) {
			return cur
		}
	} else if r.RemoteAddr() != nil {
		return cur // a peer that is neither TCP nor a Unix socket: nothing to vouch for it
	}
	hs := r.Headers()
	for i := len(hs) - 1; i >= 0; i-- {
		if !hs[i].Field.Equal(field) {
			continue
		}
		entries := splitList(hs[i].Value)
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := hop(entries[j])
			if !ok {
				return cur
			}
			cur = a.Unmap()
			if !trustedAddr(cur, trusted) {
				return cur
			}
		}
	}
	return cur
}

// splitList splits a comma-separated field value, keeping commas inside
// quoted strings, and trims each element of spaces and tabs.
func splitList(v string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.Trim(v[start:i], " \t"))
				start = i + 1
			}
		}
	}
	return append(out, strings.Trim(v[start:], " \t"))
}

// parseXFFHop parses an X-Forwarded-For entry: an IP address, which some
// proxies write with a port ("192.0.2.1:1234", "[2001:db8::1]:1234").
func parseXFFHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
}

// parseForwardedHop returns the for= node of a Forwarded element
// ("for=192.0.2.60;proto=http", `for="[2001:db8::17]:4711"`).
func parseForwardedHop(elem string) (netip.Addr, bool) {
	for pair := range strings.SplitSeq(elem, ";") {
		name, value, ok := strings.Cut(strings.Trim(pair, " \t"), "=")
		if !ok || !strings.EqualFold(name, "for") {
			continue
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		if strings.HasPrefix(value, "[") { // "[v6]" or "[v6]:port"
			end := strings.IndexByte(value, ']')
			if end < 0 || (end+1 < len(value) && value[end+1] != ':') {
				return netip.Addr{}, false
			}
			a, err := netip.ParseAddr(value[1:end])
			return a, err == nil && a.Is6() && a.Zone() == ""
		}
		host, _, found := strings.Cut(value, ":")
		if !found {
			host = value
		}
		a, err := netip.ParseAddr(host)
		return a, err == nil && a.Is4() // an IPv6 node must be bracketed (RFC 7239 §6)
	}
	return netip.Addr{}, false
}
