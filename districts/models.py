from __future__ import annotations

from django.db import models


class District(models.Model):
    """A police district: where an incident happens decides which district queue receives it."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Unit(models.Model):
    """A citywide police unit (Youth Violence Strike Force, School Police Unit...)."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
