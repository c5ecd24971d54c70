package vms_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/enterprise/vms"
	"github.com/shandong-emergency/chemguard/schemas"
)

func TestCheck(t *testing.T) {
	require.NoError(t, vms.Check("实时视频地址", "", false))
	require.NoError(t, vms.Check("实时视频地址", "https://vms.example.cn/live?ch={code}", false))
	require.Error(t, vms.Check("实时视频地址", "https://vms.example.cn/live", false), "no {code}")
	require.Error(t, vms.Check("实时视频地址", "ftp://vms.example.cn/{code}", false))
	require.Error(t, vms.Check("实时视频地址", "{code}", false), "no host")
	require.Error(t, vms.Check("录像回放地址", "https://vms.example.cn/pb?ch={code}&from={start}", true), "no {end}")
	require.NoError(t, vms.Check("录像回放地址", "https://vms.example.cn/pb?ch={code}&from={start}&to={end}", true))
}

func TestExpand(t *testing.T) {
	start := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	got := vms.Expand("https://vms.example.cn/pb?ch={code}&from={start}&to={end}", "37010200101320000001", start, start.Add(time.Minute))
	require.Equal(t, "https://vms.example.cn/pb?ch=37010200101320000001&from=2026-12-05T14%3A00%3A00%2B08%3A00&to=2026-12-05T14%3A01%3A00%2B08%3A00", got)
	require.Equal(t, "", vms.Expand("", "x", start, start))
	_ = schemas.Shanghai
}
