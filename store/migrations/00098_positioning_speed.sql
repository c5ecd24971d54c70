-- 车辆超速报警 (人员定位 表2 code 07): a speed limit per fence (装卸区 5 km/h)
-- and per plant (厂内限速; 0 means the platform's default, 15 km/h); the speed a
-- gateway measured kept with its fix; and on each tag's last fix what the
-- speed rule needs of its past — the latest speed (NULL: unknown) and the
-- start (anchor) of the window the next speed is measured over.

-- +goose Up
ALTER TABLE pos_fences ADD COLUMN speed_limit_kmh float8 NOT NULL DEFAULT 0
    CHECK (speed_limit_kmh >= 0 AND speed_limit_kmh <= 200);
ALTER TABLE pos_settings ADD COLUMN speed_limit_kmh float8 NOT NULL DEFAULT 0
    CHECK (speed_limit_kmh >= 0 AND speed_limit_kmh <= 200);
ALTER TABLE pos_last ADD COLUMN speed_kmh float8;
ALTER TABLE pos_last ADD COLUMN anchor_floor text NOT NULL DEFAULT '';
ALTER TABLE pos_last ADD COLUMN anchor_x float8 NOT NULL DEFAULT 0;
ALTER TABLE pos_last ADD COLUMN anchor_y float8 NOT NULL DEFAULT 0;
ALTER TABLE pos_last ADD COLUMN anchor_time timestamptz;
ALTER TABLE pos_fixes ADD COLUMN speed_kmh float8;

-- +goose Down
ALTER TABLE pos_fixes DROP COLUMN speed_kmh;
ALTER TABLE pos_last DROP COLUMN anchor_time;
ALTER TABLE pos_last DROP COLUMN anchor_y;
ALTER TABLE pos_last DROP COLUMN anchor_x;
ALTER TABLE pos_last DROP COLUMN anchor_floor;
ALTER TABLE pos_last DROP COLUMN speed_kmh;
ALTER TABLE pos_settings DROP COLUMN speed_limit_kmh;
ALTER TABLE pos_fences DROP COLUMN speed_limit_kmh;
