package video_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/video"
)

// TestChannelCodes: 表4 VIDEO_CODE is 9 位企业编码 + 0132 + 7 位流水号, and the
// first nine must be the company's own code.
func TestChannelCodes(t *testing.T) {
	require.NoError(t, video.CheckChannelCode("370102001", "37010200101320000001"))
	for code, why := range map[string]string{
		"3701020010132000001":   "19 characters",
		"370102001013200000011": "21 characters",
		"37010200101310000001":  "0131 instead of 0132",
		"370102001013200000A1":  "a letter in the serial",
		"37020300101320000001":  "another company's prefix",
	} {
		require.Error(t, video.CheckChannelCode("370102001", code), why)
	}
}

// TestCodeSpaces: a gas station's 表1 is not an enterprise's — 7 is 抽烟 at a
// station and 打电话 in a plant; 13 exists only at a station.
func TestCodeSpaces(t *testing.T) {
	plant, station := video.SpaceOf("生产"), video.SpaceOf("加油站")
	require.False(t, plant.GasStation)
	require.True(t, station.GasStation)
	require.Equal(t, "打电话", plant.TypeName("7"))
	require.Equal(t, "抽烟", station.TypeName("7"))
	require.Equal(t, "", plant.TypeName("13"))
	require.Equal(t, "灭火器未摆放在作业区域", station.TypeName("13"))
	require.Equal(t, "gas-station-video-alarms", station.Alarms.Slug)
	require.Equal(t, "video-device-status", plant.Statuses.Slug)
}
