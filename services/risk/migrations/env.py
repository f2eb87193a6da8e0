from services.common.migrations import run_env
from services.risk.models import Base

run_env(Base.metadata)
