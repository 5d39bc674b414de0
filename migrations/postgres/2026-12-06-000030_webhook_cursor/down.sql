DROP TABLE webhook_cursor;
