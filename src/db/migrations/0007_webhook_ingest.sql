ALTER TABLE "deliveries" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "delivery_id_source" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "repeats" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "detail" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "processed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_written_status" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_written_priority" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "last_written_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret_encrypted" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "previous_secret_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "signature_encoding" text DEFAULT 'hex' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "deliveries_endpoint_received_idx" ON "deliveries" USING btree ("endpoint_id","received_at","id");