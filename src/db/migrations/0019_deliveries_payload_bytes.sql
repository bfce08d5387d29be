-- Delivery payloads become the bytes as signed; stored jsonb payloads keep their content as UTF-8 JSON text.
ALTER TABLE "deliveries" ALTER COLUMN "payload" SET DATA TYPE bytea USING convert_to("payload"::text, 'UTF8');
