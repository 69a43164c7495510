package tests

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/c0c8f223/tinyhttp"
	"github.com/c0c8f223/tinyhttp/internal/wiretest"
)

// h2PageResources is how many scripts the test page loads: enough for the
// browser to multiplex them on its one HTTP/2 connection.
const h2PageResources = 24

// h2Page is the test page: it loads h2PageResources scripts and, once
// loaded, writes the nextHopProtocol of every resource timing entry
// (navigation included) into the DOM.
func h2Page() string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><title>h2</title>")
	for i := range h2PageResources {
		fmt.Fprintf(&b, `<script src="/res/%d.js"></script>`, i)
	}
	b.WriteString(`</head><body><p id="out">pending</p><script>
window.addEventListener("load", () => {
  const e = performance.getEntries().filter(x => x.nextHopProtocol !== undefined);
  document.getElementById("out").textContent = "protocols:" + e.map(x => x.nextHopProtocol).join(",") + ";loaded:" + window.loaded;
});
</script></body></html>`)
	return b.String()
}

// TestHTTP2_Chromium: a headless Chromium loads a page with many
// sub-resources from the HTTPS server; the page, and every script, came
// over h2 (the browser's own Resource Timing says so) and every script ran.
func TestHTTP2_Chromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (install it with: bash scripts/install-deps.sh --browser)", chromiumPath)
	}
	cert := newTestCert(t, keyECDSAPKCS8)
	s := newHTTPSServer(t, cert, tinyhttp.ServerConfig{})
	page := h2Page()
	s.serve(4, func(r *tinyhttp.Request) {
		if strings.HasPrefix(r.URL(), "/res/") {
			r.Respond(tinyhttp.FromString("window.loaded = (window.loaded || 0) + 1;").
				WithHeader(tinyhttp.Header{Field: "Content-Type", Value: "text/javascript"}))
			return
		}
		r.Respond(tinyhttp.FromString(page).WithHeader(tinyhttp.Header{Field: "Content-Type", Value: "text/html"}))
	})
	dom := chromiumDOM(t, "https://"+s.Addr().String()+"/")
	m := regexp.MustCompile(`protocols:([^;<]*);loaded:(\d+)`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("the page reported nothing:\n%s", wiretest.Truncate(dom))
	}
	protocols := strings.Split(m[1], ",")
	if len(protocols) < h2PageResources+1 || m[2] != fmt.Sprint(h2PageResources) {
		t.Errorf("%d timing entries and %s scripts run, want %d and %d", len(protocols), m[2], h2PageResources+1, h2PageResources)
	}
	for i, p := range protocols {
		if p != "h2" {
			t.Errorf("entry %d came over %q, want h2 (all: %v)", i, p, protocols)
			break
		}
	}
}
