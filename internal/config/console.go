package config

import (
	"fmt"
	"net/netip"
	"net/textproto"
	"net/url"
	"strings"
)

// Console is the web console's settings.
type Console struct {
	PublicURL          string         // IRBOT_PUBLIC_URL
	LocalAdminAnywhere bool           // IRBOT_CONSOLE_LOCAL_ADMIN=anywhere
	TrustedProxyHeader string         // IRBOT_TRUSTED_PROXY_HEADER
	TrustedProxies     []netip.Prefix // IRBOT_TRUSTED_PROXIES
}

func init() {
	Vars = append(Vars,
		Var{"IRBOT_PUBLIC_URL", "unset: http://IRBOT_HTTP_ADDR", "the console's external URL, for printed sign-in links; https makes the session cookie Secure"},
		Var{"IRBOT_CONSOLE_LOCAL_ADMIN", "loopback", "where the first-run local-admin link works: loopback or anywhere"},
		Var{"IRBOT_TRUSTED_PROXY_HEADER", "unset: off", "header naming the signed-in user (SSO proxy), believed only from IRBOT_TRUSTED_PROXIES"},
		Var{"IRBOT_TRUSTED_PROXIES", "unset", "comma-separated CIDRs of the SSO proxies"},
	)
}

func consoleFromEnv(get func(name, def string) string) (Console, error) {
	c := Console{PublicURL: strings.TrimRight(get("IRBOT_PUBLIC_URL", ""), "/"), TrustedProxyHeader: get("IRBOT_TRUSTED_PROXY_HEADER", "")}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return c, fmt.Errorf("IRBOT_PUBLIC_URL must be an http(s) URL such as https://irbot.example.com")
		}
	}
	switch v := get("IRBOT_CONSOLE_LOCAL_ADMIN", "loopback"); v {
	case "loopback":
	case "anywhere":
		c.LocalAdminAnywhere = true
	default:
		return c, fmt.Errorf("IRBOT_CONSOLE_LOCAL_ADMIN must be loopback or anywhere, got %q", v)
	}
	for _, p := range strings.Split(get("IRBOT_TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return c, fmt.Errorf("IRBOT_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8 or an address", p)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	if c.TrustedProxyHeader != "" {
		if textproto.CanonicalMIMEHeaderKey(c.TrustedProxyHeader) == "" || strings.ContainsAny(c.TrustedProxyHeader, " :\t") {
			return c, fmt.Errorf("IRBOT_TRUSTED_PROXY_HEADER must be a header name such as X-Forwarded-User")
		}
		if len(c.TrustedProxies) == 0 {
			return c, fmt.Errorf("IRBOT_TRUSTED_PROXY_HEADER is set but IRBOT_TRUSTED_PROXIES is not: name the proxies the header is believed from")
		}
	}
	return c, nil
}
