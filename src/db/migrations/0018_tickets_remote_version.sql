ALTER TABLE "tickets" ADD COLUMN "remote_changed_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "remote_sequence" bigint;