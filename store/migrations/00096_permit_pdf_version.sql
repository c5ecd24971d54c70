-- A permit's published PDF (pdf_ref) is the FILE of its last 表1 record. The
-- company's print of a permit unchanged since then must be that very file,
-- byte for byte (the regulator compares them), and re-rendering cannot promise
-- it: fpdf lists the signature images in a map's order. pdf_of is the
-- updated_at of the permit state the stored PDF shows; while it equals
-- updated_at, printing serves the stored file.

-- +goose Up
ALTER TABLE permits ADD COLUMN pdf_of timestamptz;

-- +goose Down
ALTER TABLE permits DROP COLUMN pdf_of;
