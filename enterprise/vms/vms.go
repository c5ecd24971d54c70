// Package vms builds links into a company's own video-management system
// (VMS): the base system hosts no media server, so a camera's live view and
// its recording are opened on the company's VMS by URL templates the company
// sets — {code} the camera's GB28181 channel code, {start} and {end} the
// period of a recording (RFC 3339, Asia/Shanghai). 特殊作业 (a permit's work
// area) and 智能视频 (an alarm's recording) both use it.
package vms

import (
	"net/url"
	"strings"
	"time"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/schemas"
)

// Check validates a template: "" (no VMS) or an http(s) URL containing
// {code}, and {start} and {end} too when period is set (a playback template).
// field is the form field's Chinese label for the error.
func Check(field, tmpl string, period bool) error {
	tmpl = strings.TrimSpace(tmpl)
	if tmpl == "" {
		return nil
	}
	u, err := url.Parse(strings.NewReplacer("{code}", "x", "{start}", "x", "{end}", "x").Replace(tmpl))
	ok := err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && strings.Contains(tmpl, "{code}")
	if ok && period {
		ok = strings.Contains(tmpl, "{start}") && strings.Contains(tmpl, "{end}")
	}
	if ok {
		return nil
	}
	if period {
		return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: field + "：应为 http(s) 地址并包含 {code}、{start} 和 {end}",
			MessageEN: field + ": the playback URL template must be an http(s) URL containing {code}, {start} and {end}"}
	}
	return &chemguard.Error{Code: chemguard.EInvalid, MessageZH: field + "：应为 http(s) 地址并包含 {code}",
		MessageEN: field + ": the video URL template must be an http(s) URL containing {code}"}
}

// Expand fills tmpl for the camera code over [start, end] (zero times leave
// their placeholders empty); "" when tmpl is "".
func Expand(tmpl, code string, start, end time.Time) string {
	if tmpl == "" {
		return ""
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return url.QueryEscape(t.In(schemas.Shanghai).Format(time.RFC3339))
	}
	return strings.NewReplacer("{code}", url.QueryEscape(code), "{start}", at(start), "{end}", at(end)).Replace(tmpl)
}
