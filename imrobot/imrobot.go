// Package imrobot sends messages to the group robots of 企业微信 (群机器人) and
// 钉钉 (自定义机器人, with 加签): the HTTP post, DingTalk's signature, the
// vendors' text messages with @-mentions by mobile, and the errcode of the
// reply. The regulators' warning groups (warningsvc) and each company's own
// group (enterprise) send through it.
package imrobot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The robot kinds.
const (
	WeCom    = "wecom"    // 企业微信群机器人: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
	DingTalk = "dingtalk" // 钉钉自定义机器人: https://oapi.dingtalk.com/robot/send?access_token=…
)

// PerMinute is what one WeCom or DingTalk group robot accepts a minute (both
// vendors document 20; DingTalk then blocks the robot for 10 minutes).
const PerMinute = 20

// Doer sends HTTP requests; *http.Client implements it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// defaultClient is used when a caller gives no client.
var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Post sends body to url as JSON with the extra headers and returns the reply's
// body (at most 64 KiB); a non-2xx reply is a *StatusError.
func Post(ctx context.Context, client Doer, url string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return reply, &StatusError{Code: resp.StatusCode}
	}
	return reply, nil
}

// PostJSON marshals v and posts it (see Post).
func PostJSON(ctx context.Context, client Doer, url string, v any, header http.Header) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Post(ctx, client, url, b, header)
}

// StatusError is a non-2xx reply.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("HTTP %d", e.Code) }

// CodeError is a robot's reply with a non-zero errcode (45009: over the rate
// limit, 310000: a bad signature or keyword, 93000: an invalid webhook …).
type CodeError struct {
	Code int
	Msg  string
}

func (e *CodeError) Error() string { return fmt.Sprintf("errcode %d: %.200s", e.Code, e.Msg) }

// Send posts msg to a group robot at url and checks the reply's errcode: 0 is
// a delivery, any other is a *CodeError, a reply without one an error quoting it.
func Send(ctx context.Context, client Doer, url string, msg any) error {
	reply, err := PostJSON(ctx, client, url, msg, nil)
	if err != nil {
		return err
	}
	var r struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	_ = json.Unmarshal(reply, &r)
	switch {
	case r.ErrCode == nil:
		return fmt.Errorf("unexpected reply %.200q", reply)
	case *r.ErrCode != 0:
		return &CodeError{Code: *r.ErrCode, Msg: r.ErrMsg}
	}
	return nil
}

// Target names a robot without its secret key: the kind and the first 12 hex
// digits of the SHA-256 of its webhook URL (which holds the key).
func Target(kind, webhook string) string {
	h := sha256.Sum256([]byte(webhook))
	return kind + ":" + hex.EncodeToString(h[:6])
}

// Sign is the sign parameter of a DingTalk robot request at timestamp (Unix
// milliseconds), before URL encoding: Base64(HMAC-SHA256(secret, timestamp +
// "\n" + secret)).
func Sign(secret string, timestamp int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignedURL is a DingTalk webhook with 加签 at now: the URL with timestamp
// (Unix milliseconds) and sign added; without a secret it is the webhook.
func SignedURL(webhook, secret string, now time.Time) (string, error) {
	if secret == "" {
		return webhook, nil
	}
	u, err := url.Parse(webhook)
	if err != nil {
		return "", fmt.Errorf("dingtalk: %w", err)
	}
	ts := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", Sign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Robot is one group robot.
type Robot struct {
	Kind    string // WeCom or DingTalk
	Webhook string
	Secret  string // DingTalk's 加签 secret (SEC…); "" without 加签
	Client  Doer   // a 10 s timeout client when nil
}

// CheckWebhook returns an error unless webhook is an https URL of kind's vendor
// with its key (WeCom key=, DingTalk access_token=).
func CheckWebhook(kind, webhook string) error {
	u, err := url.Parse(webhook)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("the webhook must be an https URL")
	}
	switch kind {
	case WeCom:
		if u.Host != "qyapi.weixin.qq.com" || u.Query().Get("key") == "" {
			return fmt.Errorf("a WeCom webhook is https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
		}
	case DingTalk:
		if u.Host != "oapi.dingtalk.com" || u.Query().Get("access_token") == "" {
			return fmt.Errorf("a DingTalk webhook is https://oapi.dingtalk.com/robot/send?access_token=…")
		}
	default:
		return fmt.Errorf("unknown robot kind %q", kind)
	}
	return nil
}

// Text sends content as a text message that @-mentions the group members with
// the mobiles: WeCom's text.mentioned_mobile_list, DingTalk's at.atMobiles
// (with "@mobile" in the content, which DingTalk shows as the mention). now
// is the signature's time.
func (r Robot) Text(ctx context.Context, content string, mobiles []string, now time.Time) error {
	if mobiles == nil {
		mobiles = []string{}
	}
	switch r.Kind {
	case WeCom:
		return Send(ctx, r.Client, r.Webhook, map[string]any{"msgtype": "text",
			"text": map[string]any{"content": content, "mentioned_mobile_list": mobiles}})
	case DingTalk:
		target, err := SignedURL(r.Webhook, r.Secret, now)
		if err != nil {
			return err
		}
		var at strings.Builder
		for _, m := range mobiles {
			at.WriteString(" @" + m)
		}
		return Send(ctx, r.Client, target, map[string]any{"msgtype": "text",
			"text": map[string]any{"content": content + at.String()},
			"at":   map[string]any{"atMobiles": mobiles, "isAtAll": false}})
	}
	return fmt.Errorf("unknown robot kind %q", r.Kind)
}
