DROP TABLE sign_ons;
