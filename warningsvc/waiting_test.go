package warningsvc_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/shandong-emergency/chemguard/warning"
	"github.com/shandong-emergency/chemguard/warningsvc"
)

func TestWaitingZHNamesWhoMovesTheDisposalOn(t *testing.T) {
	assert.Equal(t, "等待企业签收", warningsvc.WaitingZH(warning.StepPublished, warning.LevelBlue, "企业"))
	assert.Equal(t, "等待本企业签收", warningsvc.WaitingZH(warning.StepPublished, warning.LevelRed, "本企业"))
	assert.Equal(t, "等待监管部门核查", warningsvc.WaitingZH(warning.StepFedBack, warning.LevelRed, "企业"))
	assert.Equal(t, "等待监管部门领导解除或降级", warningsvc.WaitingZH(warning.StepVerified, warning.LevelRed, "企业"))
	assert.Equal(t, "", warningsvc.WaitingZH(warning.StepClosed, warning.LevelRed, "企业"))
}
