package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/warningsvc"
)

func TestGatewaysFromEnv(t *testing.T) {
	t.Setenv("CHEMGUARD_WARNING_SMS_URL", "https://sms.example.cn/send")
	t.Setenv("CHEMGUARD_WARNING_SMS_APP_KEY", "k")
	t.Setenv("CHEMGUARD_WARNING_SMS_SECRET", "s")
	t.Setenv("CHEMGUARD_WARNING_SMS_KINDS", "warning_raised, reminder")
	t.Setenv("CHEMGUARD_WARNING_WECOM_WEBHOOKS", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a")
	t.Setenv("CHEMGUARD_WARNING_DINGTALK_WEBHOOKS", "https://oapi.dingtalk.com/robot/send?access_token=b#SECx, https://oapi.dingtalk.com/robot/send?access_token=c")
	t.Setenv("CHEMGUARD_WARNING_IM_KINDS", "warning_raised")
	got, err := gatewaysFromEnv()
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.Equal(t, "sms:sms.example.cn/send", got[0].Target())
	assert.Equal(t, []string{"warning_raised", "reminder"}, got[0].(warningsvc.Selective).Kinds())
	assert.Equal(t, []string{"warning_raised"}, got[1].(warningsvc.WeCom).Kinds())
	d := got[2].(warningsvc.DingTalk)
	assert.Equal(t, "SECx", d.Secret)
	assert.Equal(t, "https://oapi.dingtalk.com/robot/send?access_token=b", d.URL)
	assert.Empty(t, got[3].(warningsvc.DingTalk).Secret)

	t.Setenv("CHEMGUARD_WARNING_IM_KINDS", "warning_raised,warning_rasied")
	_, err = gatewaysFromEnv()
	require.ErrorIs(t, err, warningsvc.ErrUnknownKind)
	t.Setenv("CHEMGUARD_WARNING_IM_KINDS", "")
	t.Setenv("CHEMGUARD_WARNING_SMS_KINDS", "alarm_raised")
	_, err = gatewaysFromEnv()
	require.ErrorIs(t, err, warningsvc.ErrUnknownKind, "alarm changes are not warning events")
	t.Setenv("CHEMGUARD_WARNING_SMS_KINDS", "")

	t.Setenv("CHEMGUARD_WARNING_SMS_URL", "sms.example.cn")
	_, err = gatewaysFromEnv()
	require.ErrorIs(t, err, warningsvc.ErrSMSURL)
	t.Setenv("CHEMGUARD_WARNING_SMS_URL", "https://sms.example.cn/send")
	t.Setenv("CHEMGUARD_WARNING_SMS_TEMPLATE", "{{.Nope}}")
	_, err = gatewaysFromEnv()
	require.ErrorIs(t, err, warningsvc.ErrSMSTemplate)
}
