"""The API's contract: JSON Schemas that the validators use, the operations declared beside
their views, and the OpenAPI 3.1 document and docs page built from them."""
