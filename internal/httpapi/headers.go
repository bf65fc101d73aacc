package httpapi

import (
	"net/http"
	"strings"
)

// securityHeaders sets the headers every response carries. Incident data is
// sensitive (a suspected breach, personal data in facts), so nothing is
// cached by browsers or proxies, nothing is sniffed into another type (a
// timeline CSV or Markdown rendered as HTML), and nothing is framed. API
// responses also get a CSP that forbids everything: they are data, never a
// page. The console sets its own CSP.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}
