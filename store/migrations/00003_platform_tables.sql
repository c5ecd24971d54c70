-- The platform-defined exchange tables (企业信息, 重大危险源与储存单元, 指标信息, 感知数据,
-- 视频监控信息, 安全承诺): the same current-state + history layout as the seed's, made by
-- 00001's chemguard_create_exchange_table, so later tables need one line each. History
-- rows of the time-series tables are deduplicated by message id across partitions (see
-- store.applyVersions).

-- +goose Up
SELECT chemguard_create_exchange_table('x_enterprise_info');
SELECT chemguard_create_exchange_table('x_hazard_sources');
SELECT chemguard_create_exchange_table('x_indicators');
SELECT chemguard_create_exchange_table('x_sensor_readings');
SELECT chemguard_create_exchange_table('x_cameras');
SELECT chemguard_create_exchange_table('x_commitments');

-- +goose Down
SELECT 1;
