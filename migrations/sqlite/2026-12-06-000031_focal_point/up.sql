-- An image's focal point: the spot a cover crop should keep (a face, the product), as fractions
-- of the picture as shown, in ten-thousandths (0 the left or top edge, 10000 the right or
-- bottom). Both set or both NULL (none chosen: the middle). No filter reads them, so no index.
ALTER TABLE images ADD COLUMN focal_x INTEGER CHECK (focal_x BETWEEN 0 AND 10000);
ALTER TABLE images ADD COLUMN focal_y INTEGER
    CHECK (focal_y BETWEEN 0 AND 10000 AND (focal_x IS NULL) = (focal_y IS NULL));
