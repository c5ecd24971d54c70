package enterprise

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/shandong-emergency/chemguard"
	"github.com/shandong-emergency/chemguard/imrobot"
	"github.com/shandong-emergency/chemguard/sealed"
)

// Sealed columns of a company's robot: the webhook holds the robot's key.
const (
	imWebhookColumn = "enterprise_im_robots.webhook"
	imSecretColumn  = "enterprise_im_robots.secret"
)

// IMConfig configures the company group robots.
type IMConfig struct {
	// Client posts to the robots (a 10 s timeout client when nil).
	Client imrobot.Doer
	// CheckWebhook accepts a webhook a company enters; nil: imrobot.CheckWebhook
	// (the vendors' https hosts only, so the platform never posts to an
	// address inside its own network for a company).
	CheckWebhook func(kind, webhook string) error
}

// IMRobot is a company's group robot as its administrator sees it: never the
// webhook's key or the secret, only the unkeyed target.
type IMRobot struct {
	Kind       string
	Target     string
	HasSecret  bool
	UpdatedBy  string
	UpdatedAt  time.Time
	TestedAt   *time.Time
	TestResult string
	Disabled   bool
}

// KindZH is the robot's vendor in words.
func (r IMRobot) KindZH() string { return imKindZH[r.Kind] }

var imKindZH = map[string]string{imrobot.WeCom: "企业微信群机器人", imrobot.DingTalk: "钉钉自定义机器人（加签）"}

// IMRobots keeps each company's group robot (enterprise_im_robots) and sends
// to it. Every method is keyed by the company: one company never reaches
// another's robot.
type IMRobots struct {
	pool *pgxpool.Pool
	box  *sealed.Box
	cfg  IMConfig
	now  Clock
}

// NewIMRobots returns the robots on pool, sealed with box.
func NewIMRobots(pool *pgxpool.Pool, box *sealed.Box, cfg IMConfig, now Clock) *IMRobots {
	if cfg.CheckWebhook == nil {
		cfg.CheckWebhook = imrobot.CheckWebhook
	}
	if now == nil {
		now = time.Now
	}
	return &IMRobots{pool: pool, box: box, cfg: cfg, now: now}
}

// Get returns company's robot; ok is false when it has none.
func (r *IMRobots) Get(ctx context.Context, company string) (rb IMRobot, ok bool, err error) {
	var secret string
	err = r.pool.QueryRow(ctx, `SELECT kind, target, secret, updated_by, updated_at, tested_at, coalesce(test_result, ''),
		disabled_at IS NOT NULL FROM enterprise_im_robots WHERE company = $1`, company).
		Scan(&rb.Kind, &rb.Target, &secret, &rb.UpdatedBy, &rb.UpdatedAt, &rb.TestedAt, &rb.TestResult, &rb.Disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return rb, false, nil
	}
	if err != nil {
		return rb, false, fmt.Errorf("enterprise: im robot: %w", err)
	}
	rb.HasSecret = secret != ""
	return rb, true, nil
}

// Save sets company's robot: kind, webhook and (DingTalk) the 加签 secret; an
// empty secret keeps the stored one when the webhook is unchanged in kind.
// A bad kind or webhook is an invalid error naming the field.
func (r *IMRobots) Save(ctx context.Context, company, kind, webhook, secret, actor string) error {
	webhook, secret = strings.TrimSpace(webhook), strings.TrimSpace(secret)
	if _, ok := imKindZH[kind]; !ok {
		return chemguard.Errorf(chemguard.EInvalid, "机器人类型应为企业微信群机器人或钉钉自定义机器人", "the robot kind must be wecom or dingtalk")
	}
	if err := r.cfg.CheckWebhook(kind, webhook); err != nil {
		return chemguard.Errorf(chemguard.EInvalid, "Webhook 地址无效：请粘贴群机器人详情页中的完整地址（企业微信 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…，钉钉 https://oapi.dingtalk.com/robot/send?access_token=…）",
			"the webhook is invalid: %s", err)
	}
	if kind == imrobot.DingTalk && secret != "" && !strings.HasPrefix(secret, "SEC") {
		return chemguard.Errorf(chemguard.EInvalid, "钉钉加签密钥以 SEC 开头，请从机器人安全设置中复制", "a DingTalk signing secret starts with SEC")
	}
	if kind == imrobot.WeCom {
		secret = ""
	}
	sealedHook, err := r.box.Seal(imWebhookColumn, webhook)
	if err != nil {
		return fmt.Errorf("enterprise: seal webhook: %w", err)
	}
	sealedSecret := ""
	if secret != "" {
		if sealedSecret, err = r.box.Seal(imSecretColumn, secret); err != nil {
			return fmt.Errorf("enterprise: seal secret: %w", err)
		}
	}
	keep := kind == imrobot.DingTalk && secret == ""
	_, err = r.pool.Exec(ctx, `INSERT INTO enterprise_im_robots (company, kind, webhook, secret, target, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (company) DO UPDATE SET kind = EXCLUDED.kind, webhook = EXCLUDED.webhook,
			secret = CASE WHEN $8 AND enterprise_im_robots.kind = EXCLUDED.kind THEN enterprise_im_robots.secret ELSE EXCLUDED.secret END,
			target = EXCLUDED.target, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at,
			tested_at = NULL, test_result = NULL, disabled_at = NULL`,
		company, kind, sealedHook, sealedSecret, imrobot.Target(kind, webhook), actor, r.now(), keep)
	if err != nil {
		return fmt.Errorf("enterprise: save im robot: %w", err)
	}
	return nil
}

// SetDisabled switches company's robot off (kept, not deleted) or on again.
func (r *IMRobots) SetDisabled(ctx context.Context, company string, disabled bool, actor string) error {
	tag, err := r.pool.Exec(ctx, `UPDATE enterprise_im_robots SET disabled_at = CASE WHEN $2 THEN $3::timestamptz END,
		updated_by = $4, updated_at = $3 WHERE company = $1`, company, disabled, r.now(), actor)
	if err != nil {
		return fmt.Errorf("enterprise: im robot: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return chemguard.Errorf(chemguard.ENotFound, "本企业尚未设置群机器人", "the company has no group robot")
	}
	return nil
}

// robot opens company's active robot; ok is false when it has none (or it is off).
func (r *IMRobots) robot(ctx context.Context, company string) (imrobot.Robot, bool, error) {
	var rb imrobot.Robot
	var hook, secret string
	err := r.pool.QueryRow(ctx, `SELECT kind, webhook, secret FROM enterprise_im_robots WHERE company = $1 AND disabled_at IS NULL`,
		company).Scan(&rb.Kind, &hook, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return rb, false, nil
	}
	if err != nil {
		return rb, false, fmt.Errorf("enterprise: im robot: %w", err)
	}
	if rb.Webhook, err = r.box.Open(imWebhookColumn, hook); err != nil {
		return rb, false, fmt.Errorf("enterprise: open webhook: %w", err)
	}
	if secret != "" {
		if rb.Secret, err = r.box.Open(imSecretColumn, secret); err != nil {
			return rb, false, fmt.Errorf("enterprise: open secret: %w", err)
		}
	}
	rb.Client = r.cfg.Client
	return rb, true, nil
}

// Test sends a test message to company's robot, mentioning the administrator
// by mobile when he has one, and records and returns the outcome in words
// ("errcode 0 …" or the robot's errcode and message).
func (r *IMRobots) Test(ctx context.Context, company string, by Person) (string, error) {
	rb, ok, err := r.robot(ctx, company)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", chemguard.Errorf(chemguard.ENotFound, "本企业尚未设置群机器人，或已停用", "the company has no active group robot")
	}
	var mobiles []string
	if by.Mobile != "" {
		mobiles = []string{by.Mobile}
	}
	content := fmt.Sprintf("【测试】企业安全生产基础系统的紧急通知将发到本群，并@相关人员。测试人：%s", by.DisplayName)
	sendErr := rb.Text(ctx, content, mobiles, r.now())
	result := "errcode 0：发送成功 / delivered"
	var ce *imrobot.CodeError
	switch {
	case errors.As(sendErr, &ce):
		result = fmt.Sprintf("errcode %d：%s", ce.Code, ce.Msg)
	case sendErr != nil:
		result = "发送失败 / failed: " + sendErr.Error()
	}
	if _, err := r.pool.Exec(ctx, `UPDATE enterprise_im_robots SET tested_at = $2, test_result = $3 WHERE company = $1`,
		company, r.now(), result); err != nil {
		return "", fmt.Errorf("enterprise: im robot test: %w", err)
	}
	return result, nil
}

// errIMRateLimited defers a group message past the robot's documented rate.
var errIMRateLimited = errors.New("群机器人每分钟最多 20 条，稍后重发 / the robot's 20 messages a minute are used; retried later")

// send posts urgent notice n for person p to company's group, @-mentioning p
// by mobile. No robot (or one switched off) is errNoRobot; over 20 a minute
// it is errIMRateLimited and the retry sends it later.
func (r *IMRobots) send(ctx context.Context, company string, p Person, n Notice) error {
	rb, ok, err := r.robot(ctx, company)
	if err != nil {
		return err
	}
	if !ok {
		return errNoRobot
	}
	var recent int
	if err := r.pool.QueryRow(ctx, `SELECT count(*) FROM enterprise_notifications WHERE company = $1 AND im_at > $2`,
		company, r.now().Add(-time.Minute)).Scan(&recent); err != nil {
		return fmt.Errorf("enterprise: im rate: %w", err)
	}
	if recent >= imrobot.PerMinute {
		return errIMRateLimited
	}
	var mobiles []string
	who := p.DisplayName
	if p.Mobile != "" {
		mobiles = []string{p.Mobile}
	} else {
		who += "（未登记手机号，无法@）"
	}
	content := fmt.Sprintf("【紧急】%s\n%s\n请 %s 处理：%s", n.Title, n.Body, who, n.Link)
	return rb.Text(ctx, content, mobiles, r.now())
}

// errNoRobot: the company set no group robot; nothing is retried for it.
var errNoRobot = errors.New("no group robot")
